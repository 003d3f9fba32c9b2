// `npm run bench:startup`: wall time of short CLI commands on the examples, started the way a user
// starts them (`node bin/chainrule.js …` on the built package), each run several times: median and
// min–max, plus each process's own CPU time (steadier than wall time on a shared machine). Also
// prints the floor (`node -e 0`), the machine load, and `npx chainrule --version` (npm's own
// start-up, reported apart from chainrule's).
//
//   npm run bench:startup                         # this checkout (run `npm run build` first)
//   npm run bench:startup -- --runs 15
//   npm run bench:startup -- --bin /other/checkout/bin/chainrule.js   # e.g. an older version
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Preloaded into each timed `node` process: at exit it writes the process's own CPU time (user +
 * system, seconds) to the file named by CHAINRULE_STARTUP_CPU. CPU time depends far less on what
 * else the machine runs than wall time does, so it says what the start-up costs on a busy machine.
 */
const CPU_PROBE =
  'data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>{const u=process.cpuUsage();writeFileSync(process.env.CHAINRULE_STARTUP_CPU,String((u.user+u.system)/1e6))})';

interface Sample {
  readonly wall: number;
  /** CPU seconds of the process itself (node runs only). */
  readonly cpu?: number;
}

/** One run of `command args`; throws if it fails (a timing of an error is no timing). */
function timeOnce(command: string, args: readonly string[], cpuFile: string | undefined): Sample {
  const probe = cpuFile === undefined ? [] : ['--import', CPU_PROBE];
  const env = cpuFile === undefined ? process.env : { ...process.env, CHAINRULE_STARTUP_CPU: cpuFile };
  const start = process.hrtime.bigint();
  const run = spawnSync(command, [...probe, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' exited ${String(run.status)}: ${run.stderr.trim()}`);
  }
  return cpuFile === undefined ? { wall } : { wall, cpu: Number(readFileSync(cpuFile, 'utf8')) };
}

interface Measured {
  readonly wall: Stats;
  readonly cpu?: Stats;
}

/** One warm-up run (disk cache), then `runs` timed runs. */
function measure(command: string, args: readonly string[], runs: number, cpuFile?: string): Measured {
  timeOnce(command, args, cpuFile);
  const samples = Array.from({ length: runs }, () => timeOnce(command, args, cpuFile));
  const cpu = samples.flatMap((x) => (x.cpu === undefined ? [] : [x.cpu]));
  const wall = stats(samples.map((x) => x.wall));
  return cpu.length === samples.length ? { wall, cpu: stats(cpu) } : { wall };
}

const fmt = (s: number): string => s.toFixed(3);

function row(name: string, m: Measured, target?: number): string {
  const verdict = target === undefined ? '' : `${m.wall.median <= target ? 'ok' : 'over'} (≤ ${target} s)`;
  const cpu = m.cpu === undefined ? '–' : fmt(m.cpu.median);
  return `| ${name} | ${fmt(m.wall.median)} | ${fmt(m.wall.min)}–${fmt(m.wall.max)} | ${cpu} | ${verdict} |`;
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
    const cpuFile = join(outDir, 'cpu.txt');
    console.log('| command | wall median s | wall min–max s | CPU median s | target (wall) |');
    console.log('|---|---|---|---|---|');
    console.log(row('`node -e 0` (floor)', measure(process.execPath, ['-e', '0'], runs, cpuFile)));
    for (const c of cases(join(outDir, 'model')))
      console.log(row(`\`${c.name}\``, measure(process.execPath, [bin, ...c.args], runs, cpuFile), c.target));
    // npx runs this checkout's bin, so it says nothing about another one given with --bin.
    if (values['no-npx'] !== true && values.bin === undefined) {
      // npx inside this repository runs the package's own bin; the difference to `node bin` is npm's start-up.
      console.log(row('`npx chainrule --version` (npm + chainrule)', measure('npx', ['chainrule', '--version'], runs)));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main();
