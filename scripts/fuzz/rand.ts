// Seeded choices for the generators: every case is a pure function of (seed, set, index), so the
// parent and a restarted worker rebuild the same input, and a report line can be replayed alone.
import { Rng } from '../../runtime/rng.js';
import type { FuzzSet } from './types.js';

/** FNV-1a over the case's coordinates: independent streams per case. */
export function caseRng(seed: number, set: FuzzSet, index: number): Rng {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of `${set}:${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return new Rng(h);
}

export function pick<T>(r: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[r.int(items.length)] as T;
}

/** An integer in [lo, hi]. */
export function between(r: Rng, lo: number, hi: number): number {
  return lo + r.int(hi - lo + 1);
}

/** Raw JSON tokens a JSON.stringify value cannot hold (1e999, NaN, -0…), spliced in after stringify. */
export const RAW = '\u0000RAW:';

export function raw(token: string): string {
  return `${RAW}${token}`;
}

/** JSON text with `raw(...)` markers replaced by their tokens. */
export function stringify(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/"\\u0000RAW:((?:[^"\\]|\\.)*)"/g, (_, t: string) =>
    JSON.parse(`"${t}"`),
  );
}
