// What the memory planner knows about each value: whether it needs storage, in which arena,
// how big, whether it is pinned (and why), its live range, and which operand it overwrites in
// place. Shared by the pass (which turns it into offsets) and the plan text.
import { paramGrads } from '../../ir/graph.js';
import { isLeaf, kernelsOf } from '../../ir/kernel-list.js';
import { assertNever, type Graph, type Kernel, type Node } from '../../ir/types.js';
import { perRow, staticSize } from '../../codegen/layout.js';
import { inPlaceOps } from './in-place.js';
import { kernelUses, liveRange, type LiveRange, type Uses } from './liveness.js';

export type ArenaKind = 'fixed' | 'batch';

/** Why a value never shares memory: it outlives a call or is read by the caller. */
export type PinReason = 'param' | 'state' | 'constant' | 'output' | 'loss' | 'gradient';

export type ValueClass =
  /** The caller's input/target array. */
  | { readonly kind: 'external' }
  /** An optimizer update: written into the leaf it assigns. */
  | { readonly kind: 'alias'; readonly of: number }
  | { readonly kind: 'pinned'; readonly reason: PinReason }
  /** Reusable: only its live range needs its memory. */
  | { readonly kind: 'planned' };

export interface MemoryValue {
  readonly node: Node;
  readonly class: ValueClass;
  readonly arena: ArenaKind;
  /** Floats (fixed arena) or floats per batch row (batch arena). */
  readonly size: number;
  readonly uses: Uses;
  /** Written values only: `[writer, last reader]` in kernel indices. */
  readonly range?: LiveRange;
  /** A planned value computed over this operand's memory (its last use is the same kernel). */
  readonly inPlaceOf?: number;
}

export interface MemoryAnalysis {
  readonly kernels: readonly Kernel[];
  /** Every value that needs storage, in node order. */
  readonly values: readonly MemoryValue[];
}

export function analyzeMemory(graph: Graph): MemoryAnalysis {
  const kernels = kernelsOf(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const storedOutside = (id: number): boolean => {
    const n = byId.get(id);
    return n !== undefined && (isLeaf(n) || n.assigns !== undefined);
  };
  const uses = kernelUses(graph, kernels, storedOutside);
  const written = new Set(kernels.flatMap((k) => k.writes));
  const pins = pinReasons(graph);
  const base = graph.nodes
    .filter((n) => isLeaf(n) || n.assigns !== undefined || written.has(n.id))
    .map((node): MemoryValue => {
      const u = uses.get(node.id) ?? {};
      const range = liveRange(u);
      const r = perRow(node.type.shape);
      return {
        node,
        class: classify(node, pins.get(node.id)),
        arena: r === undefined ? 'fixed' : 'batch',
        size: r ?? staticSize(node.type.shape),
        uses: u,
        ...(range === undefined ? {} : { range }),
      };
    });
  const inPlace = inPlaceChoices(graph, kernels, new Map(base.map((v) => [v.node.id, v])));
  const values = base.map((v) => {
    const of = inPlace.get(v.node.id);
    return of === undefined ? v : { ...v, inPlaceOf: of };
  });
  return { kernels, values };
}

/** Pinned values that are computed by kernels (leaves are classified by role). */
function pinReasons(graph: Graph): Map<number, PinReason> {
  const pins = new Map<number, PinReason>();
  for (const g of paramGrads(graph).values()) pins.set(g, 'gradient');
  if (graph.loss !== undefined) pins.set(graph.loss, 'loss');
  for (const o of graph.outputs) pins.set(o, 'output');
  return pins;
}

function classify(node: Node, pin: PinReason | undefined): ValueClass {
  if (node.assigns !== undefined) return { kind: 'alias', of: node.assigns };
  switch (node.role) {
    case 'input':
    case 'target':
      return { kind: 'external' };
    case 'param':
      return { kind: 'pinned', reason: 'param' };
    case 'state':
      return { kind: 'pinned', reason: 'state' };
    case 'const':
      // Written once at model creation (the loss seed): reusing it would clobber it.
      return { kind: 'pinned', reason: 'constant' };
    case 'forward':
    case 'loss':
    case 'backward':
    case 'update':
      return pin === undefined ? { kind: 'planned' } : { kind: 'pinned', reason: pin };
    default:
      return assertNever(node.role, 'role');
  }
}

/**
 * Result id → operand id for `single` kernels of an in-place op whose operand dies there: same
 * arena and size, both planned (a pinned or external operand must survive; a pinned result
 * must not share). The first eligible operand wins.
 */
function inPlaceChoices(
  graph: Graph,
  kernels: readonly Kernel[],
  values: ReadonlyMap<number, MemoryValue>,
): Map<number, number> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const choices = new Map<number, number>();
  kernels.forEach((kernel, k) => {
    const [id] = kernel.nodes;
    if (kernel.pattern !== 'single' || kernel.nodes.length !== 1 || id === undefined) return;
    const node = byId.get(id);
    const result = values.get(id);
    if (node === undefined || result?.class.kind !== 'planned' || !inPlaceOps.has(node.op)) return;
    const operand = [...new Set(node.inputs)].find((i) => {
      const v = values.get(i);
      return v?.class.kind === 'planned' && v.arena === result.arena && v.size === result.size && v.range?.last === k;
    });
    if (operand !== undefined) choices.set(id, operand);
  });
  return choices;
}
