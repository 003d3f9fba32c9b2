// `npm run bench [-- options]`: every workload on every peer, each measurement in a fresh child
// process, interleaved across peers; prints the tables and writes bench/results.{md,json}.
// `--quick` is the CI smoke run: one short run each, validation only matters, nothing written.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  chainrulePeers,
  defaultCacheDir,
  prepareModules,
  withChainruleModules,
  type ModuleOutcome,
} from './chainrule-module.js';
import { runJobInChild } from './child.js';
import { fullPlan, quickPlan } from './job.js';
import { findPeer, peers } from './peers/index.js';
import type { PeerId } from './peers/peer.js';
import { buildReport, renderMarkdown, stats, type Report } from './report.js';
import { runSuite } from './suite.js';
import { benchmarks, findBenchmark, type Benchmark } from './workloads.js';

const usage = `usage: npm run bench -- [options]
  --quick            one short run per (workload, peer); checks the peers agree; writes nothing
  --runs N           runs per (workload, peer), each in a fresh process (default 5)
  --only IDS         comma-separated workloads (${benchmarks.map((b) => b.id).join(', ')})
  --peers IDS        comma-separated peers (${peers.map((p) => p.id).join(', ')})
  --seed N           seed of the shared weights and batch (default 1)
  --jobs N           processes at once (default 1; 2 in --quick); >1 distorts timings
  --out DIR          write results.md/results.json there (default: bench/, none with --quick)`;

function positiveInt(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return n;
}

function list<T>(text: string | undefined, all: readonly T[], find: (id: string) => T): readonly T[] {
  return text === undefined ? all : text.split(',').map((id) => find(id.trim()));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      peers: { type: 'string' },
      seed: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const quick = values.quick;
  const options = {
    benchmarks: list(values.only, benchmarks, findBenchmark),
    peers: list<PeerId>(
      values.peers,
      peers.map((p) => p.id),
      (id) => findPeer(id).id,
    ),
    runs: quick ? 1 : positiveInt(values.runs, 5, '--runs'),
    plan: quick ? quickPlan : fullPlan,
    seed: positiveInt(values.seed, 1, '--seed'),
    concurrency: positiveInt(values.jobs, quick ? 2 : 1, '--jobs'),
    onProgress: (line: string) => console.error(line),
  };
  const started = performance.now();
  const loads: number[] = [];
  const runner = withChainruleModules(runJobInChild, compileModules(options));
  const results = await runSuite(options, async (job) => {
    const result = await runner(job);
    loads.push(loadavg()[0] ?? 0);
    return result;
  });
  const loadDuringRun = stats(loads);
  const commit = gitCommit();
  const report = buildReport(results, {
    mode: quick ? 'quick' : 'full',
    runs: options.runs,
    seed: options.seed,
    ...(loadDuringRun ? { loadDuringRun } : {}),
    ...(commit ? { commit } : {}),
  });
  const markdown = renderMarkdown(report);
  console.log(`\n${markdown}`);
  console.error(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);

  const out = values.out ?? (quick ? undefined : fileURLToPath(new URL('.', import.meta.url)));
  if (out !== undefined) writeResults(out, report, markdown);
  return exitCode(report);
}

/** Compiles chainrule's modules here, once, so no worker loads the compiler (see chainrule-module.ts). */
function compileModules(options: {
  benchmarks: readonly Benchmark[];
  peers: readonly PeerId[];
}): Map<string, ModuleOutcome> {
  const modes = [...chainrulePeers].filter(([peer]) => options.peers.includes(peer)).map(([, kernels]) => kernels);
  if (modes.length === 0) return new Map();
  const modules = prepareModules(options.benchmarks, defaultCacheDir, modes);
  for (const [key, outcome] of modules) {
    console.error(
      outcome.ok
        ? `compiled ${key}: ${outcome.module.kernels} kernels in ${outcome.module.compileMs.toFixed(0)} ms → ${outcome.module.path}`
        : `error: ${outcome.message}`,
    );
  }
  return modules;
}

/** The commit measured, flagged when the compiler or runtime has uncommitted changes; undefined outside git. */
function gitCommit(): string | undefined {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'compiler', 'runtime', 'src/api.ts') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' +local changes' : ''}`;
  } catch {
    return undefined;
  }
}

function writeResults(dir: string, report: Report, markdown: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.md'), markdown);
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.error(`wrote ${join(dir, 'results.md')} and results.json`);
}

/** Disagreeing or crashing peers fail the run; an unavailable peer (e.g. no native binding) only warns. */
function exitCode(report: Report): number {
  const bad = report.benchmarks.flatMap((s) =>
    s.peers
      .filter((p) => p.status === 'failed' || p.status === 'error')
      .map((p) => `${s.benchmark.title} / ${p.peer}: ${p.message ?? p.status}`),
  );
  for (const line of bad) console.error(`error: ${line}`);
  return bad.length ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
  process.exitCode = 2;
}
