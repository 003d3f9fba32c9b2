// Runs cases in child worker processes with a time limit per case and a memory limit per worker
// (V8 heap via --max-old-space-size; resident memory polled from /proc). A worker that dies, is
// killed for time or memory, or answers nothing is replaced; its case is classified from how it
// ended (crash, hang, oom) and the run goes on with the next case.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CaseRef, type CaseResult, firstLine, type Outcome } from './types.js';
import { describeCase, type WorkerRequest } from './cases.js';

export interface PoolOptions {
  readonly seed: number;
  readonly dir: string;
  readonly workers: number;
  /** Default per-case limit; size cases carry their own. */
  readonly timeoutMs: number;
  /** Resident-memory limit of a worker, MB. */
  readonly rssLimitMb: number;
  /** V8 old-space limit of a worker, MB. */
  readonly heapMb: number;
  /** Cases a worker runs before it is replaced (compiled modules are never unloaded). */
  readonly recycleAfter: number;
  /** Interpreter parity for one accepted spec in this many. */
  readonly parityEvery: number;
  readonly onResult?: (r: CaseResult) => void;
}

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Resident set size of a process in MB (0 when it is gone). */
export function rssMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  if (pid === undefined) return 0;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Slot {
  child: ChildProcess;
  stderr: string;
  done: number;
  ready: Promise<void>;
}

function spawnWorker(o: PoolOptions): Slot {
  const child = fork(workerPath, [], {
    execArgv: ['--import', 'tsx', `--max-old-space-size=${o.heapMb}`],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, CHAINRULE_FROM_SOURCE: '1' },
  });
  const slot: Slot = {
    child,
    stderr: '',
    done: 0,
    ready: new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`fuzz worker exited during start-up (${code}): ${slot.stderr}`)));
    }),
  };
  child.stderr?.on('data', (d: Buffer) => {
    slot.stderr = (slot.stderr + d.toString('utf8')).slice(-4000);
  });
  return slot;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** One case on one worker: the worker's answer, or how the worker ended. */
function runOn(
  slot: Slot,
  req: WorkerRequest,
  o: PoolOptions,
): Promise<CaseResult | { died: Outcome; detail: string }> {
  const { timeoutMs: limit = o.timeoutMs } = describeTimeout(req);
  return new Promise((resolve) => {
    let killedFor: Outcome | undefined;
    let detail = '';
    const onMessage = (m: CaseResult): void => {
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      const heap = /heap out of memory|Allocation failed|ArrayBuffer allocation failed/i.test(slot.stderr);
      const died: Outcome = killedFor ?? (heap ? 'oom' : 'crash');
      const tail = slot.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      resolve({ died, detail: detail || `worker exited (${signal ?? code}): ${firstLine(tail)}` });
    };
    const timer = setTimeout(() => {
      killedFor = 'hang';
      detail = `no answer in ${limit / 1000} s`;
      slot.child.kill('SIGKILL');
    }, limit);
    const poll = setInterval(() => {
      const mb = rssMb(slot.child.pid);
      if (mb > o.rssLimitMb) {
        killedFor = 'oom';
        detail = `resident memory ${Math.round(mb)} MB > ${o.rssLimitMb} MB`;
        slot.child.kill('SIGKILL');
      }
    }, 100);
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(poll);
      slot.child.off('message', onMessage);
      slot.child.off('exit', onExit);
    };
    slot.child.on('message', onMessage);
    slot.child.on('exit', onExit);
    slot.child.send(req);
  });
}

function describeTimeout(req: WorkerRequest): { timeoutMs?: number } {
  try {
    return describeCase(req);
  } catch {
    return {};
  }
}

function labelOf(req: WorkerRequest): string {
  try {
    return describeCase(req).label;
  } catch (err) {
    return `(label unavailable: ${(err as Error).message})`;
  }
}

/** Runs every case; results come back in case order. */
export async function runCases(refs: readonly CaseRef[], o: PoolOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(refs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    let slot = spawnWorker(o);
    await slot.ready;
    while (next < refs.length) {
      const i = next++;
      const req: WorkerRequest = { ...refs[i]!, seed: o.seed, dir: o.dir, parityEvery: o.parityEvery };
      if (slot.done >= o.recycleAfter) {
        slot.child.send('exit');
        await kill(slot.child);
        slot = spawnWorker(o);
        await slot.ready;
      }
      const start = performance.now();
      const r = await runOn(slot, req, o);
      slot.done++;
      let result: CaseResult;
      if ('died' in r) {
        result = {
          ...refs[i]!,
          outcome: r.died,
          label: labelOf(req),
          detail: r.detail,
          ms: Math.round(performance.now() - start),
        };
        await kill(slot.child);
        slot = spawnWorker(o);
        await slot.ready;
      } else result = r;
      results[i] = result;
      o.onResult?.(result);
    }
    slot.child.send('exit');
    await kill(slot.child);
  };
  await Promise.all(Array.from({ length: o.workers }, lane));
  return results;
}
