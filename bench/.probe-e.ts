import { runJob, fullPlan } from './job.js';
import { findBenchmark } from './workloads.js';
const peer = (process.argv[2] ?? 'js-reference') as 'js-reference';
for (const b of (process.argv[3] ?? 'w1-train,w2-train,w3-train,w2-forward,w3-forward,w4-forward').split(',')) {
  const r = await runJob({ benchmark: findBenchmark(b), peer, seed: 7, plan: fullPlan });
  if (r.status === 'ok') console.log(b, peer, r.timing.perSecond.toFixed(1), 'gc', r.timing.gcCount, 'rss MB', (r.rssBytes/2**20).toFixed(0));
  else console.log(b, peer, r.status, r.message);
}
process.exit(0);
