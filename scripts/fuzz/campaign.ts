// The campaign: base files, the case list per set, the worker pool, the big-CSV training run,
// and the summary table (the one docs/reliability.md shows). `npm run fuzz` runs it in full;
// test/fuzz/fuzz-quick.test.ts runs a slice of every set.
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../runtime/rng.js';
import { runCases, rssMb } from './pool.js';
import { type CaseRef, type CaseResult, FAILURES, type FuzzSet, OUTCOMES, type Outcome, SETS } from './types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/chainrule.js');

export interface CampaignOptions {
  readonly seed: number;
  readonly counts: Readonly<Record<FuzzSet, number>>;
  readonly workers: number;
  /** Size of the big CSV trained through the CLI, MB (0: skip). */
  readonly bigCsvMb: number;
  readonly onResult?: (r: CaseResult) => void;
}

export const FULL_COUNTS: Readonly<Record<FuzzSet, number>> = {
  spec: 10_000,
  csv: 400,
  weights: 400,
  module: 400,
  onnx: 200,
};
export const QUICK_COUNTS: Readonly<Record<FuzzSet, number>> = { spec: 90, csv: 30, weights: 30, module: 40, onnx: 16 };

export interface BigCsvResult {
  readonly fileMb: number;
  readonly rows: number;
  readonly features: number;
  /** The features as float32, MB. */
  readonly float32Mb: number;
  /** Peak resident memory of `chainrule train` (kernel's VmHWM, polled), MB. */
  readonly peakRssMb: number;
  /** The same command on the file's first 1,000 rows: what Node, the compiler and the model cost. */
  readonly baselineRssMb: number;
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly outcome: Outcome;
  readonly detail: string;
}

export interface CampaignResult {
  readonly results: readonly CaseResult[];
  readonly big?: BigCsvResult;
  readonly seconds: number;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly peakMb: number;
}

/** Runs the CLI (from source) and follows its peak resident memory. */
function cli(args: readonly string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    let peakMb = 0;
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: { ...process.env, CHAINRULE_FROM_SOURCE: '1' }, timeout: timeoutMs, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        clearInterval(poll);
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr, peakMb });
      },
    );
    const poll = setInterval(() => {
      peakMb = Math.max(peakMb, rssMb(child.pid, 'VmHWM'));
    }, 50);
  });
}

/** Real weights and checkpoints for the weights set: `chainrule train` on xor and iris. */
async function writeBases(dir: string): Promise<void> {
  for (const [name, spec, data] of [
    ['xor', 'examples/xor_mlp.json', 'xor'],
    ['iris', 'examples/iris_mlp.json', 'iris'],
  ] as const) {
    const run = await cli(
      ['train', spec, '--data', data, '--epochs', '2', '--out', join(dir, name), '--quiet'],
      120_000,
    );
    if (run.code !== 0) throw new Error(`fuzz: could not write the base weights (${name}): ${run.stderr}`);
  }
}

/** A CSV of about `mb` megabytes (10 features, 3 classes), written in chunks. */
export function writeBigCsv(path: string, mb: number, seed: number): { rows: number; features: number } {
  const features = 10;
  const r = new Rng(seed);
  const fd = openSync(path, 'w');
  let rows = 0;
  let bytes = 0;
  try {
    const header = `${Array.from({ length: features }, (_, i) => `x${i}`).join(',')},label\n`;
    writeSync(fd, header);
    bytes += header.length;
    while (bytes < mb * 1024 * 1024) {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        const cls = r.int(3);
        const cells = Array.from({ length: features }, (_, j) => (r.normal() + (j % 3 === cls ? 1.5 : 0)).toFixed(6));
        lines.push(`${cells.join(',')},${cls}`);
      }
      const chunk = `${lines.join('\n')}\n`;
      writeSync(fd, chunk);
      bytes += chunk.length;
      rows += lines.length;
    }
  } finally {
    closeSync(fd);
  }
  return { rows, features };
}

const BIG_SPEC = {
  name: 'big_csv_mlp',
  inputs: { x: [null, 10] },
  targets: { y: [null] },
  nodes: [
    { name: 'fc1', op: 'linear', input: 'x', units: 16 },
    { name: 'h1', op: 'tanh', input: 'fc1' },
    { name: 'fc2', op: 'linear', input: 'h1', units: 3 },
    { name: 'probs', op: 'softmax', input: 'fc2' },
  ],
  outputs: ['probs'],
  loss: { op: 'cross_entropy', input: 'probs', target: 'y' },
  train: { optimizer: 'adam', lr: 0.01, seed: 1 },
};

/** Peak memory the big CSV may add over the baseline, in multiples of its float32 features. */
export const MAX_DATA_RATIO = 5;

/** `chainrule train SPEC --data big.csv --epochs 1`, with its peak memory against the data's float32 size. */
async function bigCsv(dir: string, mb: number, seed: number): Promise<BigCsvResult> {
  const csv = join(dir, 'big.csv');
  const { rows, features } = writeBigCsv(csv, mb, seed);
  const spec = join(dir, 'big_csv_mlp.json');
  writeFileSync(spec, JSON.stringify(BIG_SPEC));
  const fileMb = statSync(csv).size / 2 ** 20;
  const small = join(dir, 'small.csv');
  writeFileSync(small, `${readFileSync(csv, 'utf8').split('\n', 1001).join('\n')}\n`);
  const base = await cli(
    ['train', spec, '--data', small, '--epochs', '1', '--out', join(dir, 'small-out'), '--quiet', '--no-diagrams'],
    300_000,
  );
  const float32Mb = (rows * features * 4) / 2 ** 20;
  const start = performance.now();
  const run = await cli(
    [
      'train',
      spec,
      '--data',
      csv,
      '--epochs',
      '1',
      '--batch',
      '256',
      '--out',
      join(dir, 'big-out'),
      '--quiet',
      '--no-diagrams',
    ],
    900_000,
  );
  const seconds = (performance.now() - start) / 1000;
  rmSync(csv, { force: true });
  // Bounded memory: what the data adds must stay a small multiple of its float32 size.
  const ratio = (run.peakMb - base.peakMb) / float32Mb;
  const outcome: Outcome =
    run.code === 0 ? (ratio <= MAX_DATA_RATIO ? 'accepted' : 'oom') : run.code === null ? 'hang' : 'crash';
  return {
    fileMb,
    rows,
    features,
    float32Mb,
    peakRssMb: run.peakMb,
    baselineRssMb: base.peakMb,
    exitCode: run.code,
    seconds,
    outcome,
    detail:
      run.code !== 0
        ? (run.stderr.trim().split('\n')[0] ?? '')
        : ratio <= MAX_DATA_RATIO
          ? 'trained 1 epoch'
          : `the data cost ${ratio.toFixed(1)}× its float32 size (limit ${MAX_DATA_RATIO}×)`,
  };
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const start = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'chainrule-fuzz-run-'));
  try {
    await writeBases(dir);
    const refs: CaseRef[] = SETS.flatMap((set) =>
      Array.from({ length: o.counts[set] }, (_, index) => ({ set, index })),
    );
    // Interleaved by progress through each set, so a run cut short has seen every set alike.
    const at = (r: CaseRef): number => r.index / o.counts[r.set];
    refs.sort((a, b) => at(a) - at(b) || SETS.indexOf(a.set) - SETS.indexOf(b.set));
    const results = await runCases(refs, {
      seed: o.seed,
      dir,
      workers: o.workers,
      timeoutMs: 30_000,
      rssLimitMb: 2048,
      heapMb: 1536,
      recycleAfter: 300,
      parityEvery: o.counts.spec > 1000 ? 4 : 1,
      ...(o.onResult !== undefined ? { onResult: o.onResult } : {}),
    });
    const big = o.bigCsvMb > 0 ? await bigCsv(dir, o.bigCsvMb, o.seed) : undefined;
    return { results, ...(big !== undefined ? { big } : {}), seconds: (performance.now() - start) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Tally = Record<Outcome | 'cases' | 'refusedValid', number>;

export function tally(results: readonly CaseResult[], set?: FuzzSet): Tally {
  const t = Object.fromEntries([...OUTCOMES, 'cases', 'refusedValid'].map((k) => [k, 0])) as Tally;
  for (const r of results) {
    if (set !== undefined && r.set !== set) continue;
    t.cases++;
    t[r.outcome]++;
    if (r.detail.startsWith('refused valid input')) t.refusedValid++;
  }
  return t;
}

export function failures(c: CampaignResult): CaseResult[] {
  return c.results.filter((r) => FAILURES.has(r.outcome));
}

/** The summary table (Markdown), deterministic for a seed apart from the timing line. */
export function summary(c: CampaignResult, seed: number): string {
  const head =
    '| set | cases | accepted | located error | clean unlocated error | crash | hang | out of memory | silent wrong | valid input refused |';
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const row = (name: string, t: Tally): string =>
    `| ${name} | ${t.cases} | ${t.accepted} | ${t.located} | ${t.unlocated} | ${t.crash} | ${t.hang} | ${t.oom} | ${t.silent} | ${t.refusedValid} |`;
  const lines = [head, rule, ...SETS.map((s) => row(s, tally(c.results, s))), row('**all**', tally(c.results))];
  if (c.big !== undefined) {
    const b = c.big;
    lines.push(
      '',
      `Big CSV: \`chainrule train SPEC --data big.csv --epochs 1\` on ${b.fileMb.toFixed(0)} MB (${b.rows.toLocaleString('en-US')} rows × ${b.features} features, ` +
        `${b.float32Mb.toFixed(1)} MB as float32): ${b.outcome === 'accepted' ? 'trained' : `**${b.outcome}** (${b.detail})`}, ` +
        `peak RSS ${b.peakRssMb.toFixed(0)} MB against ${b.baselineRssMb.toFixed(0)} MB for its first 1,000 rows: the data adds ` +
        `${(b.peakRssMb - b.baselineRssMb).toFixed(0)} MB = ${((b.peakRssMb - b.baselineRssMb) / b.float32Mb).toFixed(1)}× its float32 size (limit ${MAX_DATA_RATIO}×); ${b.seconds.toFixed(0)} s.`,
    );
  }
  const bad = failures(c);
  lines.push(
    '',
    `Seed ${seed}; ${bad.length} failure${bad.length === 1 ? '' : 's'} (crash, hang, out of memory, silent wrong).`,
  );
  for (const f of bad.slice(0, 40)) lines.push(`- ${f.set} #${f.index} ${f.outcome}: ${f.label} — ${f.detail}`);
  return lines.join('\n');
}
