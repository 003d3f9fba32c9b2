// `npm run bench:startup`: wall time of short CLI commands on the examples, started the way a user
// starts them (`node bin/chainrule.js …` on the built package), each run several times: median and
// min–max. Also prints the floor (`node -e 0`), the machine load, and `npx chainrule --version`
// (npm's own start-up, reported apart from chainrule's).
//
//   npm run bench:startup                         # this checkout (run `npm run build` first)
//   npm run bench:startup -- --runs 15
//   npm run bench:startup -- --bin /other/checkout/bin/chainrule.js   # e.g. an older version
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url).pathname;

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** Target wall time in seconds (issue 14), if any. */
  readonly target?: number;
}

function cases(outDir: string): readonly Case[] {
  return [
    { name: '--version', args: ['--version'], target: 0.15 },
    { name: 'check xor_mlp', args: ['check', 'examples/xor_mlp.json'], target: 0.35 },
    { name: 'check mnist_mlp', args: ['check', 'examples/mnist_mlp.json'], target: 0.35 },
    { name: 'ir mnist_mlp --grad', args: ['ir', 'examples/mnist_mlp.json', '--grad'] },
    { name: 'explain two_layer_sigmoid', args: ['explain', 'examples/two_layer_sigmoid.json'] },
    { name: 'draw two_layer_sigmoid (svg)', args: ['draw', 'examples/two_layer_sigmoid.json'] },
    { name: 'compile mnist_mlp', args: ['compile', 'examples/mnist_mlp.json', '--out', outDir], target: 1.0 },
  ];
}

interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

/** Seconds one run of `command args` takes; throws if it fails (a timing of an error is no timing). */
function timeOnce(command: string, args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' exited ${String(run.status)}: ${run.stderr.trim()}`);
  }
  return seconds;
}

/** One warm-up run (disk cache), then `runs` timed runs. */
function measure(command: string, args: readonly string[], runs: number): Stats {
  timeOnce(command, args);
  return stats(Array.from({ length: runs }, () => timeOnce(command, args)));
}

const fmt = (s: number): string => s.toFixed(3);

function row(name: string, s: Stats, target?: number): string {
  const verdict = target === undefined ? '' : `${s.median <= target ? 'ok' : 'over'} (≤ ${target} s)`;
  return `| ${name} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${verdict} |`;
}

function main(): void {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '9' }, bin: { type: 'string' }, 'no-npx': { type: 'boolean' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got '${values.runs}'`);
  const bin = values.bin ?? join(root, 'bin/chainrule.js');
  if (values.bin === undefined && !existsSync(join(root, 'dist/src/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  const outDir = mkdtempSync(join(tmpdir(), 'chainrule-startup-'));
  try {
    const [one, five] = loadavg();
    console.log(
      `node ${process.version}, ${cpus().length} cores, load average ${one?.toFixed(2)} (1 min) ${five?.toFixed(2)} (5 min); ${runs} runs after one warm-up; bin ${bin}\n`,
    );
    console.log('| command | median s | min–max s | target |');
    console.log('|---|---|---|---|');
    console.log(row('`node -e 0` (floor)', measure(process.execPath, ['-e', '0'], runs)));
    for (const c of cases(outDir))
      console.log(row(`\`${c.name}\``, measure(process.execPath, [bin, ...c.args], runs), c.target));
    if (values['no-npx'] !== true) {
      // npx inside this repository runs the package's own bin; the difference to `node bin` is npm's start-up.
      console.log(row('`npx chainrule --version` (npm + chainrule)', measure('npx', ['chainrule', '--version'], runs)));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main();
