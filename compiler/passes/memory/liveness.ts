// Liveness over the kernel order: which kernel writes each stored value and which kernels read
// it. The order is the full training step (forward, loss, backward, updates); see plan-memory.ts
// for why a plan valid for it is valid for `forward` and `lossAndGrads` too.
import { kernelReads } from '../../ir/kernel-list.js';
import type { Graph, Kernel } from '../../ir/types.js';

/** Kernel indices touching one value; a leaf has no writer. */
export interface Uses {
  /** The kernel that stores it (undefined for leaves: written by the caller or at creation). */
  readonly writer?: number;
  readonly firstRead?: number;
  readonly lastRead?: number;
}

/** `[first, last]` in kernel indices, both inclusive: the value must survive every kernel in it. */
export interface LiveRange {
  readonly first: number;
  readonly last: number;
}

/**
 * Uses of every value some kernel writes or reads, keyed by node id. Throws (an internal error
 * of the pass that built the kernels) when a value is written twice, or read by a kernel that
 * does not come after its writer, or read without ever being written while not `storedOutside`
 * (leaves: the caller's arrays, parameters, state, constants).
 */
export function kernelUses(
  graph: Graph,
  kernels: readonly Kernel[],
  storedOutside: (id: number) => boolean,
): Map<number, Uses> {
  const names = new Map(graph.nodes.map((n) => [n.id, n.name]));
  const uses = new Map<number, { -readonly [K in keyof Uses]: Uses[K] }>();
  const entry = (id: number): { -readonly [K in keyof Uses]: Uses[K] } => {
    let e = uses.get(id);
    if (e === undefined) {
      e = {};
      uses.set(id, e);
    }
    return e;
  };
  kernels.forEach((kernel, k) => {
    // Folded updates store too (into the leaf they assign), so they count as writes.
    for (const id of [...kernel.writes, ...(kernel.updates ?? [])]) {
      const e = entry(id);
      if (e.writer !== undefined) {
        throw new Error(
          `plan-memory: '${names.get(id) ?? `%${id}`}' is written by kernel #${e.writer} and again by #${k} '${kernel.name}'`,
        );
      }
      e.writer = k;
    }
    for (const id of kernelReads(graph, kernel)) {
      const e = entry(id);
      e.firstRead ??= k;
      e.lastRead = k;
    }
  });
  for (const [id, e] of uses) {
    const name = names.get(id) ?? `%${id}`;
    if (e.writer === undefined && e.firstRead !== undefined && !storedOutside(id)) {
      throw new Error(
        `plan-memory: kernel #${e.firstRead} reads '${name}', which no kernel stores (check the fuse pass's writes)`,
      );
    }
    if (e.writer !== undefined && e.firstRead !== undefined && e.firstRead <= e.writer) {
      throw new Error(`plan-memory: kernel #${e.firstRead} reads '${name}' before kernel #${e.writer} writes it`);
    }
  }
  return uses;
}

/** The live range of a stored value: from its writer to its last reader (or just its writer). */
export function liveRange(uses: Uses | undefined): LiveRange | undefined {
  if (uses?.writer === undefined) return undefined;
  return { first: uses.writer, last: Math.max(uses.writer, uses.lastRead ?? uses.writer) };
}

export function overlaps(a: LiveRange, b: LiveRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}
