// Runs every (benchmark, peer) pair `runs` times, interleaved: each run visits every benchmark,
// and within it every peer, starting from a different peer each run so no peer always goes
// first (or last) on a warming machine. Run 1 also validates: a peer that disagrees with the
// reference is marked failed, its timing dropped and its later runs skipped.
import type { Job, JobResult, TimingPlan, Validation } from './job.js';
import { peers as peerTable } from './peers/index.js';
import type { PeerId } from './peers/peer.js';
import { judge } from './validate.js';
import type { Benchmark } from './workloads.js';

export interface Sample {
  readonly perSecond: number;
  readonly iterations: number;
  readonly seconds: number;
  readonly rssBytes: number;
  readonly gcCount: number;
  /** JS heap bytes allocated per iteration in the timed region. */
  readonly allocatedPerIteration: number;
}

export type OutcomeStatus = 'ok' | 'failed' | 'unavailable' | 'error';

export interface Outcome {
  readonly benchmark: string;
  readonly peer: PeerId;
  status: OutcomeStatus;
  message?: string;
  validation?: Validation;
  readonly samples: Sample[];
  info: Readonly<Record<string, string | number>>;
}

export interface BenchmarkResult {
  readonly benchmark: Benchmark;
  /** The peer every other peer's validation was compared with. */
  reference?: PeerId;
  readonly outcomes: Outcome[];
}

export interface SuiteOptions {
  readonly benchmarks: readonly Benchmark[];
  readonly peers: readonly PeerId[];
  readonly runs: number;
  readonly plan: TimingPlan;
  readonly seed: number;
  /** Jobs in flight at once; 1 for real measurements (2 cores), more only for smoke runs. */
  readonly concurrency: number;
  readonly onProgress?: (line: string) => void;
}

export type JobRunner = (job: Job) => Promise<JobResult>;

/** Peer order for one run: table order rotated by the run index. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function inPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item);
    }
  });
  await Promise.all(lanes);
}

function record(outcome: Outcome, result: JobResult): void {
  if (result.status !== 'ok') {
    outcome.status = result.status;
    outcome.message = result.message;
    return;
  }
  outcome.validation ??= result.validation;
  outcome.info = result.info;
  const { perSecond, iterations, seconds, gcCount, allocatedBytes } = result.timing;
  outcome.samples.push({
    perSecond,
    iterations,
    seconds,
    gcCount,
    allocatedPerIteration: allocatedBytes / iterations,
    rssBytes: result.rssBytes,
  });
}

/** Compares a benchmark's validations once run 1 has produced them; failures lose their samples. */
function validateBenchmark(result: BenchmarkResult): void {
  const validated = result.outcomes.filter((o) => o.status === 'ok' && o.validation !== undefined);
  const verdicts = judge(validated.map((o) => [o.peer, o.validation!] as const));
  result.reference = verdicts.reference;
  for (const outcome of validated) {
    const why = verdicts.failed.get(outcome.peer);
    if (why === undefined) continue;
    outcome.status = 'failed';
    outcome.message = why;
    outcome.samples.length = 0;
  }
}

function describe(o: Outcome, b: Benchmark): string {
  const last = o.samples[o.samples.length - 1];
  if (o.status !== 'ok' || !last) return `${o.status}${o.message ? `: ${o.message}` : ''}`;
  return b.metric === 'latency' ? `${(1e6 / last.perSecond).toFixed(1)} µs/call` : `${last.perSecond.toFixed(1)}/s`;
}

function markUnavailable(results: readonly BenchmarkResult[], peer: PeerId, message: string): void {
  for (const r of results)
    for (const o of r.outcomes)
      if (o.peer === peer && o.status === 'ok' && o.samples.length === 0) {
        o.status = 'unavailable';
        o.message = message;
      }
}

export async function runSuite(options: SuiteOptions, runJob: JobRunner): Promise<BenchmarkResult[]> {
  const results: BenchmarkResult[] = options.benchmarks.map((benchmark) => ({
    benchmark,
    outcomes: options.peers.map((peer) => {
      const def = peerTable.find((p) => p.id === peer);
      const supported = def?.modes.includes(benchmark.mode) ?? false;
      return {
        benchmark: benchmark.id,
        peer,
        status: supported ? 'ok' : 'unavailable',
        ...(supported ? {} : { message: `no ${benchmark.mode} mode` }),
        samples: [],
        info: {},
      };
    }),
  }));

  for (let run = 0; run < options.runs; run++) {
    const jobs = results.flatMap((result) =>
      rotate(result.outcomes, run + results.indexOf(result))
        .filter((o) => o.status === 'ok')
        .map((outcome) => ({ result, outcome })),
    );
    await inPool(jobs, options.concurrency, async ({ result, outcome }) => {
      if (outcome.status !== 'ok') return; // found unavailable on another workload meanwhile
      const job: Job = { benchmark: result.benchmark, peer: outcome.peer, seed: options.seed, plan: options.plan };
      const answer = await runJob(job);
      record(outcome, answer);
      // Unavailable is a property of the platform (no native binding, no threads): not retried elsewhere.
      if (answer.status === 'unavailable') markUnavailable(results, outcome.peer, answer.message);
      options.onProgress?.(
        `run ${run + 1}/${options.runs}  ${result.benchmark.title.padEnd(18)} ${outcome.peer.padEnd(13)} ${describe(outcome, result.benchmark)}`,
      );
    });
    if (run === 0) results.forEach(validateBenchmark);
  }
  return results;
}
