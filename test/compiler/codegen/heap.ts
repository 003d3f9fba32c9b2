// Measuring JS heap allocation per call without --expose-gc (vitest cannot pass it cleanly):
// what every GC during a window freed, plus the heap's growth over it (v8.GCProfiler and
// getHeapStatistics). Typed-array data lives outside the JS heap; this counts objects, closures,
// boxed numbers and typed-array wrappers.
import { GCProfiler, getHeapStatistics } from 'node:v8';

const CALLS = 10_000;
const WARMUP = 3_000;
/** One boxed double (HeapNumber) per call, plus 4 B of slack for the harness's own noise. */
export const RETURNS_A_DOUBLE = 16 + 4;
export const RETURNS_NO_DOUBLE = 1;

/** JS heap bytes allocated while `body` runs: bytes freed by every GC during it plus the growth. */
export function heapAllocated(body: () => void): number {
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  body();
  const after = getHeapStatistics().used_heap_size;
  const collections = profiler.stop()?.statistics ?? [];
  const freed = collections.reduce(
    (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return Math.max(0, after - before + freed);
}

/**
 * Bytes per call of `call` over CALLS calls after a warm-up (optimized code, buffers sized), the
 * least of three windows: the first window can include V8 compiling the measuring loop itself.
 */
export function bytesPerCall(call: () => void): number {
  for (let i = 0; i < WARMUP; i++) call();
  const loop = (): void => {
    for (let i = 0; i < CALLS; i++) call();
  };
  return Math.min(heapAllocated(loop), heapAllocated(loop), heapAllocated(loop)) / CALLS;
}
