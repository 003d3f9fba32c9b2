// The words on a diagram: what each node computes, written with the names of its operands, and
// the local factor on each backward and optimizer edge.
import { assertNever, type Node, type Shape } from '../ir/types.js';

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

function arg(list: readonly string[], i: number): string {
  return list[i] ?? '?';
}

/** The formula a forward, loss or leaf node computes, e.g. `h·o.weight + o.bias`, `σ(z)`. */
export function forwardFormula(node: Node, name: NameOf): string {
  const a = operands(node, name);
  switch (node.op) {
    case 'input':
      return 'input';
    case 'target':
      return node.type.dtype === 'i32' ? 'target (class indices)' : 'target';
    case 'param':
      return `parameter · ${node.attrs.init}`;
    case 'state':
      return 'optimizer state';
    case 'fill':
      return `constant ${node.attrs.value}`;
    case 'linear':
      return node.attrs.bias ? `${arg(a, 0)}·${arg(a, 1)} + ${arg(a, 2)}` : `${arg(a, 0)}·${arg(a, 1)}`;
    case 'relu':
    case 'tanh':
    case 'gelu':
    case 'softmax':
    case 'log_softmax':
      return `${node.op}(${arg(a, 0)})`;
    case 'leaky_relu':
      return `leaky_relu(${arg(a, 0)}; α=${node.attrs.alpha})`;
    case 'sigmoid':
      return `σ(${arg(a, 0)})`;
    case 'identity':
      return `identity(${arg(a, 0)})`;
    case 'add':
      return a.join(' + ');
    case 'cross_entropy':
      return `cross_entropy(${arg(a, 0)}, ${arg(a, 1)})`;
    case 'mse':
      return `mse(${arg(a, 0)}, ${arg(a, 1)})`;
    case 'binary_cross_entropy':
      return `binary_cross_entropy(${arg(a, 0)}, ${arg(a, 1)})`;
    default:
      return backwardOpText(node);
  }
}

/** A short description of a backward op, shown under the gradient's name (for engineers). */
export function backwardOpText(node: Node): string {
  switch (node.op) {
    case 'matmul':
      return `matmul ${node.attrs.transA ? 'Aᵀ' : 'A'}·${node.attrs.transB ? 'Bᵀ' : 'B'}`;
    case 'sum_rows':
      return 'sum over rows';
    case 'add':
      return 'sum of contributions';
    case 'fill':
      return `constant ${node.attrs.value}`;
    case 'leaky_relu_grad':
      return `leaky_relu_grad α=${node.attrs.alpha}`;
    case 'cross_entropy_grad':
      return `cross_entropy_grad (${node.attrs.input})`;
    case 'softmax_cross_entropy_grad':
      return `fused (p − y)/n (${node.attrs.input})`;
    case 'sigmoid_binary_cross_entropy_grad':
      return 'fused (p − y)/N';
    case 'relu_grad':
    case 'sigmoid_grad':
    case 'tanh_grad':
    case 'gelu_grad':
    case 'softmax_grad':
    case 'log_softmax_grad':
    case 'mse_grad':
    case 'binary_cross_entropy_grad':
    case 'sgd_update':
    case 'momentum_velocity':
    case 'adam_moment':
    case 'step_increment':
    case 'adam_update':
    case 'input':
    case 'target':
    case 'param':
    case 'state':
    case 'linear':
    case 'relu':
    case 'leaky_relu':
    case 'sigmoid':
    case 'tanh':
    case 'gelu':
    case 'identity':
    case 'softmax':
    case 'log_softmax':
    case 'cross_entropy':
    case 'mse':
    case 'binary_cross_entropy':
      return node.op;
    default:
      return assertNever(node, 'op');
  }
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
