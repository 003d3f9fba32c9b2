// The words on a diagram: what each node computes, written with the names of its operands, and
// the local factor on each backward and optimizer edge.
import type { Node, Shape } from '../ir/types.js';
import { defOf } from '../ops/index.js';
import type { OpGroup } from '../ops/op-def.js';

/** `[B,128]`: the batch stays the symbol `B` when it is chosen at run time; `[]` is a scalar. */
export function shapeText(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** `∂L/∂h`: the name of the gradient of the tensor called `name`. */
export function gradTitle(name: string): string {
  return `∂L/∂${name}`;
}

/** Readable names of node ids (a graph's names are unique; unknown ids print as `%id`). */
export type NameOf = (id: number) => string;

/** Operand names of a node, in order. */
function operands(node: Node, name: NameOf): string[] {
  return node.inputs.map(name);
}

/** Groups whose nodes are drawn with their formula; the rest (backward, updates) with `backwardOpText`. */
const FORMULA_GROUPS: ReadonlySet<OpGroup> = new Set(['leaf', 'layer', 'activation', 'row', 'join', 'loss']);

/**
 * The formula a forward, loss or leaf node computes, e.g. `h·o.weight + o.bias`, `σ(z)`: the
 * op's `diagram.formula` (compiler/ops/), by default `op(operands…)`.
 */
export function forwardFormula(node: Node, name: NameOf): string {
  const def = defOf(node);
  if (!FORMULA_GROUPS.has(def.group)) return backwardOpText(node);
  const a = operands(node, name);
  return def.diagram?.formula?.(node, a) ?? `${node.op}(${a.join(', ')})`;
}

/**
 * A short description of a backward op, shown under the gradient's name (for engineers): the
 * op's `diagram.backward`, by default its name.
 */
export function backwardOpText(node: Node): string {
  return defOf(node).diagram?.backward?.(node) ?? node.op;
}

/** Looks a node up by id (undefined for ids not in the graph). */
export type NodeOf = (id: number) => Node | undefined;

/**
 * The symbol operand `slot` of an optimizer update stands for in its formula, also the label
 * of the edge carrying it: `g` (a gradient), `v` (velocity), `m`/`v` (Adam moments), `t`.
 */
export function updateSymbol(node: Node, slot: number, nodeOf: NodeOf): string {
  switch (node.op) {
    case 'sgd_update':
      return slot === 0 ? 'p' : nodeOf(node.inputs[1] ?? -1)?.op === 'momentum_velocity' ? 'v' : 'g';
    case 'momentum_velocity':
      return slot === 0 ? 'v' : 'g';
    case 'adam_moment':
      return slot === 0 ? (node.attrs.squared ? 'v' : 'm') : 'g';
    case 'step_increment':
      return 't';
    case 'adam_update':
      return ['p', 'm', 'v', 't'][slot] ?? '?';
    default:
      return '?';
  }
}

/**
 * The rule an update node applies, in the symbols of `updateSymbol`, e.g. `fc1.weight − 0.1·g`;
 * `undefined` for nodes that are not optimizer updates.
 */
export function updateFormula(node: Node, name: NameOf, nodeOf: NodeOf): string | undefined {
  const p = name(node.inputs[0] ?? -1);
  switch (node.op) {
    case 'sgd_update':
      return `${p} − ${node.attrs.lr}·${updateSymbol(node, 1, nodeOf)}`;
    case 'momentum_velocity':
      return `${node.attrs.momentum}·v + g`;
    case 'adam_moment':
      return node.attrs.squared
        ? `${node.attrs.beta}·v + (1−${node.attrs.beta})·g²`
        : `${node.attrs.beta}·m + (1−${node.attrs.beta})·g`;
    case 'step_increment':
      return 't + 1';
    case 'adam_update':
      return `${p} − ${node.attrs.lr}·m̂/(√v̂ + ε)`;
    default:
      return undefined;
  }
}

/**
 * The whole optimizer rule of a parameter in one line, for diagrams that fold the optimizer
 * state into the parameter's update node (one line per rule): `W − 0.1·v`, `v ← 0.9·v + g`.
 */
export function foldedUpdateFormula(node: Node, name: NameOf, nodeOf: NodeOf): string | undefined {
  const formula = updateFormula(node, name, nodeOf);
  if (node.op === 'sgd_update') {
    const velocity = nodeOf(node.inputs[1] ?? -1);
    if (velocity?.op === 'momentum_velocity') return `${formula}\nv ← ${updateFormula(velocity, name, nodeOf) ?? ''}`;
  }
  return formula;
}
