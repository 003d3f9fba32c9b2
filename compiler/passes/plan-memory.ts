// Memory planning: liveness over the kernel order, then one arena per size class (fixed floats,
// and floats per batch row) in which values whose lifetimes do not overlap share memory.
//
// Why one plan serves every API function: the kernel order is the full training step (forward,
// loss, backward, updates). `forward` and `lossAndGrads` run subsequences of it that are closed
// under dependencies (every kernel they run has its operands' writers in the same call, earlier).
// Two values share memory only when their live ranges [writer, last reader] are disjoint in the
// full order, so in any order-preserving subsequence one of them is still dead before the other
// is written. Values that must survive a call (params, state, constants) or that the caller reads
// after it (outputs, loss, parameter gradients) are pinned and never share.
import type { Graph, MemoryPlan, Storage } from '../ir/types.js';
import type { Pass } from './context.js';
import { analyzeMemory, type ArenaKind, type MemoryAnalysis, type MemoryValue } from './memory/analyze.js';
import { packBuffers, type Buffer } from './memory/pack.js';

export { kernelsOf } from '../ir/kernel-list.js';
export { analyzeMemory } from './memory/analyze.js';
export type { ArenaKind, MemoryAnalysis, MemoryValue, PinReason, ValueClass } from './memory/analyze.js';
export { inPlaceOps } from './memory/in-place.js';
export { memoryPlanText } from './memory/plan-text.js';

export const planMemory: Pass = {
  name: 'plan-memory',
  run: (graph: Graph): Graph => ({ ...graph, memory: layoutOf(analyzeMemory(graph)) }),
};

const ARENAS: readonly ArenaKind[] = ['fixed', 'batch'];

/**
 * Offsets for an analysis: pinned values first, one region each (parameters, then optimizer
 * state, then the rest in node order, so parameter offsets stay put when the graph changes), then
 * the planned values packed above them. An in-place chain is one buffer.
 */
export function layoutOf(analysis: MemoryAnalysis): MemoryPlan {
  const storage = new Map<number, Storage>();
  const end: Record<ArenaKind, number> = { fixed: 0, batch: 0 };
  const pinned = analysis.values.filter((v) => v.class.kind === 'pinned');
  for (const v of [...pinned].sort((a, b) => pinRank(a) - pinRank(b))) {
    storage.set(v.node.id, region(v.arena, end[v.arena], v.size));
    end[v.arena] += v.size;
  }
  for (const v of analysis.values) {
    if (v.class.kind === 'external') storage.set(v.node.id, { kind: 'external', key: v.node.name });
    if (v.class.kind === 'alias') storage.set(v.node.id, { kind: 'alias', of: v.class.of });
  }
  const planned = analysis.values.filter((v) => v.class.kind === 'planned');
  const root = inPlaceRoots(planned);
  for (const arena of ARENAS) {
    const buffers = chainBuffers(
      planned.filter((v) => v.arena === arena),
      root,
    );
    const packed = packBuffers(buffers, end[arena]);
    end[arena] = packed.end;
    for (const v of planned) {
      const offset = packed.offsets.get(root(v.node.id));
      if (v.arena === arena && offset !== undefined) storage.set(v.node.id, region(arena, offset, v.size));
    }
  }
  return { storage, fixedSize: end.fixed, batchRowSize: end.batch };
}

function region(arena: ArenaKind, offset: number, size: number): Storage {
  return arena === 'fixed' ? { kind: 'fixed', offset, size } : { kind: 'batch', rowOffset: offset, rowSize: size };
}

function pinRank(v: MemoryValue): number {
  if (v.class.kind !== 'pinned') return 3;
  return v.class.reason === 'param' ? 0 : v.class.reason === 'state' ? 1 : 2;
}

/** Id → the first value of its in-place chain (the one whose memory the chain reuses). */
function inPlaceRoots(values: readonly MemoryValue[]): (id: number) => number {
  const of = new Map(values.flatMap((v) => (v.inPlaceOf === undefined ? [] : [[v.node.id, v.inPlaceOf] as const])));
  return (id) => {
    let r = id;
    for (let next = of.get(r); next !== undefined; next = of.get(r)) r = next;
    return r;
  };
}

/** One buffer per in-place chain, live from its root's writer to its members' last reader. */
function chainBuffers(values: readonly MemoryValue[], root: (id: number) => number): Buffer[] {
  const chains = new Map<number, { size: number; first: number; last: number }>();
  for (const v of values) {
    if (v.range === undefined) continue;
    const key = root(v.node.id);
    const c = chains.get(key);
    if (c === undefined) chains.set(key, { size: v.size, first: v.range.first, last: v.range.last });
    else
      chains.set(key, { size: c.size, first: Math.min(c.first, v.range.first), last: Math.max(c.last, v.range.last) });
  }
  return [...chains].map(([key, c]) => ({ key, size: c.size, range: { first: c.first, last: c.last } }));
}
