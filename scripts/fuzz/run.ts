// `npm run fuzz`: the full campaign (≥ 10,000 specs, the CSV, weights, module-call and ONNX sets,
// and a 100 MB CSV trained through the CLI). Prints the summary table; `--write` puts it into
// docs/reliability.md between its markers. Exits 1 on any crash, hang, out-of-memory or silent
// wrong result. Options: --quick (the npm test slice), --seed N, --workers N, --big-mb N (0 skips),
// --sets a,b (only those sets).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FULL_COUNTS, QUICK_COUNTS, failures, runCampaign, summary } from './campaign.js';
import { type CaseResult, type FuzzSet, SETS } from './types.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '19' },
    workers: { type: 'string', default: '2' },
    'big-mb': { type: 'string' },
    write: { type: 'boolean', default: false },
    sets: { type: 'string' },
    partial: { type: 'string' },
  },
});
const seed = Number(values.seed);
const base = values.quick ? QUICK_COUNTS : FULL_COUNTS;
// --sets spec,csv runs only those sets (the others get 0 cases); --sets none only the big CSV.
const only = values.sets?.split(',');
const counts = Object.fromEntries(SETS.map((s) => [s, only === undefined || only.includes(s) ? base[s] : 0])) as Record<
  FuzzSet,
  number
>;
const bigCsvMb = Number(values['big-mb'] ?? (values.quick ? 0 : 105));
let done = 0;
const seen: CaseResult[] = [];
const total = Object.values(counts).reduce((a, b) => a + b, 0);
const result = await runCampaign({
  seed,
  counts,
  workers: Number(values.workers),
  bigCsvMb,
  onResult: (r) => {
    done++;
    seen.push(r);
    if (done % 250 === 0 || done === total) {
      process.stderr.write(`fuzz: ${done}/${total} cases\n`);
      // --partial FILE: the table so far, for a run that may be cut short.
      if (values.partial !== undefined)
        writeFileSync(values.partial, `${summary({ results: seen, seconds: 0 }, seed)}\n`);
    }
    if (r.outcome === 'crash' || r.outcome === 'hang' || r.outcome === 'oom' || r.outcome === 'silent')
      process.stderr.write(`fuzz: ${r.set} #${r.index} ${r.outcome}: ${r.label} — ${r.detail}\n`);
  },
});
const table = summary(result, seed);
process.stdout.write(`${table}\n\n(${result.seconds.toFixed(0)} s)\n`);
if (values.write) {
  const path = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url));
  const doc = readFileSync(path, 'utf8');
  const begin = '<!-- fuzz:begin -->';
  const end = '<!-- fuzz:end -->';
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path} has no ${begin} … ${end} markers`);
  writeFileSync(path, `${doc.slice(0, a + begin.length)}\n${table}\n${doc.slice(b)}`);
  process.stderr.write(`fuzz: wrote the table into ${path}\n`);
}
const bad = failures(result).length + (result.big !== undefined && result.big.outcome !== 'accepted' ? 1 : 0);
process.exit(bad === 0 ? 0 : 1);
