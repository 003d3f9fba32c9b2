// The parent ↔ worker wire format: the job goes in as one JSON argument, the result comes back as
// one marked stdout line (frameworks print their own banners, so the marker finds ours).
import type { Job, JobResult, TimingPlan } from './job.js';
import { isPeerId } from './peers/index.js';
import { findBenchmark } from './workloads.js';

export const RESULT_MARKER = 'BENCH_RESULT ';

/** Benchmarks travel by id: the table itself is code, shared by both processes. */
export function encodeJob(job: Job): string {
  return JSON.stringify({
    benchmark: job.benchmark.id,
    peer: job.peer,
    seed: job.seed,
    plan: job.plan,
    module: job.module,
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function decodePlan(raw: unknown): TimingPlan {
  const plan = isRecord(raw) ? raw : {};
  const num = (key: keyof TimingPlan): number => {
    const v = plan[key];
    if (typeof v !== 'number' || !(v >= 0))
      throw new Error(`job.plan.${key} must be a non-negative number, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    warmupMs: num('warmupMs'),
    warmupMinIterations: num('warmupMinIterations'),
    timedMs: num('timedMs'),
    timedMinIterations: num('timedMinIterations'),
  };
}

export function decodeJob(text: string): Job {
  const raw: unknown = JSON.parse(text);
  if (!isRecord(raw)) throw new Error('the job must be a JSON object');
  const { benchmark, peer, seed, plan, module } = raw;
  if (typeof benchmark !== 'string') throw new Error('job.benchmark must be a benchmark id such as "w2-train"');
  if (typeof peer !== 'string' || !isPeerId(peer)) throw new Error(`job.peer: unknown peer ${JSON.stringify(peer)}`);
  if (typeof seed !== 'number') throw new Error('job.seed must be a number');
  if (module !== undefined && typeof module !== 'string')
    throw new Error('job.module must be the path of a compiled module');
  return {
    benchmark: findBenchmark(benchmark),
    peer,
    seed,
    plan: decodePlan(plan),
    ...(module !== undefined ? { module } : {}),
  };
}

export function formatResultLine(result: JobResult): string {
  return `${RESULT_MARKER}${JSON.stringify(result)}\n`;
}

/** The result in a worker's stdout, or undefined when the worker died before printing one. */
export function parseResultLine(stdout: string): JobResult | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  return line === undefined ? undefined : (JSON.parse(line.slice(RESULT_MARKER.length)) as JobResult);
}
