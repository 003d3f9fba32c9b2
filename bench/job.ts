// One measurement: one peer on one benchmark, in the current process. `bench/worker.ts` runs this
// in a fresh child per (benchmark, peer, run); tests call it in-process.
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { initialWeights, makeBatch } from './data.js';
import { findPeer } from './peers/index.js';
import { PeerUnavailableError, type PeerId, type PeerSession } from './peers/peer.js';
import { loadNetwork, type Benchmark, type Mode } from './workloads.js';

export interface TimingPlan {
  /** Untimed iterations first (JIT, caches, tfjs kernel setup): at least this long and this many. */
  readonly warmupMs: number;
  readonly warmupMinIterations: number;
  /** The timed region: at least this long and this many iterations. */
  readonly timedMs: number;
  readonly timedMinIterations: number;
}

export const fullPlan: TimingPlan = { warmupMs: 500, warmupMinIterations: 2, timedMs: 2000, timedMinIterations: 3 };
/** `--quick`: proves the harness and the peers work; its speeds mean nothing. */
export const quickPlan: TimingPlan = { warmupMs: 0, warmupMinIterations: 1, timedMs: 30, timedMinIterations: 1 };

export interface Job {
  readonly benchmark: Benchmark;
  readonly peer: PeerId;
  /** Seeds the shared weights and batch; every peer of a suite gets the same one. */
  readonly seed: number;
  readonly plan: TimingPlan;
  /** The chainrule peer's module, compiled by the parent (`bench/chainrule-module.ts`); other peers ignore it. */
  readonly module?: string;
}

/** What a peer computed from the shared initial state, compared across peers before any timing counts. */
export interface Validation {
  /** Training: the loss of step 1 (initial weights) and of step 2 (after one SGD update). */
  readonly losses?: readonly number[];
  /** Forward: the softmax output, [batch, classes] row-major. */
  readonly output?: readonly number[];
}

export interface Timing {
  readonly iterations: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Garbage collections during the timed region (0 for a peer that does not allocate per step). */
  readonly gcCount: number;
  /** JS heap bytes allocated during the timed region (what the GCs freed plus the heap's growth). */
  readonly allocatedBytes: number;
}

export type JobResult =
  | {
      readonly status: 'ok';
      readonly benchmark: string;
      readonly peer: PeerId;
      readonly validation: Validation;
      readonly timing: Timing;
      /** Peak resident set size of the whole process. */
      readonly rssBytes: number;
      readonly info: Readonly<Record<string, string | number>>;
    }
  | {
      readonly status: 'unavailable' | 'error';
      readonly benchmark: string;
      readonly peer: PeerId;
      readonly message: string;
    };

async function validate(session: PeerSession, mode: Mode): Promise<Validation> {
  if (mode === 'train') {
    const first = await session.trainStep();
    const second = await session.trainStep();
    return { losses: [first, second] };
  }
  return { output: Array.from(await session.forward()) };
}

/** Runs chunks of iterations until both minimums are met; chunks grow so the clock is read rarely. */
async function iterate(
  session: PeerSession,
  mode: Mode,
  minMs: number,
  minIterations: number,
): Promise<{ iterations: number; seconds: number }> {
  const start = performance.now();
  let iterations = 0;
  let elapsed = 0;
  let chunk = 1;
  while (elapsed < minMs || iterations < minIterations) {
    await session.repeat(mode, chunk);
    iterations += chunk;
    elapsed = performance.now() - start;
    const perIteration = elapsed / iterations;
    const remainingMs = Math.max(minMs - elapsed, 0);
    chunk = Math.max(1, Math.min(Math.floor(Math.min(remainingMs, 50) / perIteration), 1_000_000));
  }
  return { iterations, seconds: elapsed / 1000 };
}

/**
 * Counts the GCs during `body` and the JS heap bytes it allocated: everything a GC freed plus
 * what is still live at the end. Typed-array storage lives outside this heap, so a peer that
 * reuses its buffers shows (close to) zero.
 */
async function watchHeap<T>(body: () => Promise<T>): Promise<{ value: T; gcCount: number; allocatedBytes: number }> {
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  const value = await body();
  const after = getHeapStatistics().used_heap_size;
  const gcs = profiler.stop()?.statistics ?? [];
  const freed = gcs.reduce(
    (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return { value, gcCount: gcs.length, allocatedBytes: Math.max(0, after - before + freed) };
}

async function measure(job: Job, session: PeerSession): Promise<{ validation: Validation; timing: Timing }> {
  const { mode } = job.benchmark;
  const validation = await validate(session, mode);
  await iterate(session, mode, job.plan.warmupMs, job.plan.warmupMinIterations);
  const liveBefore = session.liveObjects?.();
  const { value, gcCount, allocatedBytes } = await watchHeap(() =>
    iterate(session, mode, job.plan.timedMs, job.plan.timedMinIterations),
  );
  const liveAfter = session.liveObjects?.();
  if (liveBefore !== undefined && liveAfter !== undefined && liveAfter > liveBefore) {
    throw new Error(
      `memory is not flat: ${liveAfter - liveBefore} live objects leaked over ${value.iterations} iterations`,
    );
  }
  return { validation, timing: { ...value, perSecond: value.iterations / value.seconds, gcCount, allocatedBytes } };
}

export async function runJob(job: Job): Promise<JobResult> {
  const where = { benchmark: job.benchmark.id, peer: job.peer };
  const peer = findPeer(job.peer);
  if (!peer.modes.includes(job.benchmark.mode)) {
    return { ...where, status: 'unavailable', message: `${peer.label} has no ${job.benchmark.mode} mode` };
  }
  let session: PeerSession | undefined;
  try {
    const net = loadNetwork(job.benchmark.spec);
    const setup = {
      net,
      batch: job.benchmark.batch,
      weights: initialWeights(net, job.seed),
      data: makeBatch(net, job.benchmark.batch, job.seed),
      ...(job.module !== undefined ? { module: job.module } : {}),
    };
    session = await peer.open(setup);
    const { validation, timing } = await measure(job, session);
    const rssBytes = process.resourceUsage().maxRSS * 1024;
    return { ...where, status: 'ok', validation, timing, rssBytes, info: session.info };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ...where, status: error instanceof PeerUnavailableError ? 'unavailable' : 'error', message };
  } finally {
    await session?.dispose();
  }
}
