// Packs buffers with live ranges into one arena: greedy by size, best fit. Larger buffers are
// placed first (they are the hardest to fit); each goes into the smallest gap left between the
// already placed buffers whose lifetimes overlap its own, or above all of them. Buffers whose
// lifetimes are disjoint may share offsets. Deterministic: ties break on first use, then key.
import { overlaps, type LiveRange } from './liveness.js';

export interface Buffer {
  /** Stable key for tie-breaks (the id of the buffer's first value). */
  readonly key: number;
  /** Floats (fixed arena) or floats per row (batch arena); at least 1. */
  readonly size: number;
  readonly range: LiveRange;
}

export interface Packed {
  /** Buffer key → offset (in the buffer's unit). */
  readonly offsets: ReadonlyMap<number, number>;
  /** One past the highest float used, counting from `base`'s start (so `≥ base`). */
  readonly end: number;
}

/** Places `buffers` at offsets ≥ `base`; no two with overlapping live ranges share a float. */
export function packBuffers(buffers: readonly Buffer[], base: number): Packed {
  const order = [...buffers].sort((a, b) => b.size - a.size || a.range.first - b.range.first || a.key - b.key);
  const placed: { readonly buffer: Buffer; readonly offset: number }[] = [];
  const offsets = new Map<number, number>();
  let end = base;
  for (const buffer of order) {
    const offset = bestFit(
      buffer,
      placed.filter((p) => overlaps(p.buffer.range, buffer.range)),
      base,
    );
    placed.push({ buffer, offset });
    offsets.set(buffer.key, offset);
    end = Math.max(end, offset + buffer.size);
  }
  return { offsets, end };
}

/** The lowest offset of the smallest gap that holds `buffer`, else just above every live neighbour. */
function bestFit(
  buffer: Buffer,
  live: readonly { readonly buffer: Buffer; readonly offset: number }[],
  base: number,
): number {
  const byOffset = [...live].sort((a, b) => a.offset - b.offset);
  let cursor = base;
  let best: { offset: number; gap: number } | undefined;
  for (const p of byOffset) {
    const gap = p.offset - cursor;
    if (gap >= buffer.size && (best === undefined || gap < best.gap)) best = { offset: cursor, gap };
    cursor = Math.max(cursor, p.offset + p.buffer.size);
  }
  return best?.offset ?? cursor;
}
