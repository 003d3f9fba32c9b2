// Builders for the elementwise ops (activations and their derivative ops), so each activation
// file states only its math: f, f' and which tensor f' is written from.
import { derivativeLoop, unaryLoop } from '../codegen/template-kit.js';
import type { AttrMap, NodeOf, OpName } from '../ir/types.js';
import type { OpDef, VjpRule } from './op-def.js';
import { at, mapBinary, mapUnary, sameTypeRule } from './shape.js';

/**
 * A unary activation y = f(x); `code` is the same formula as generated code, over an element
 * expression `x` (the kernel is one loop of it, and fused kernels inline it).
 */
export function unaryOp<K extends OpName>(
  op: K,
  f: (x: number, attrs: AttrMap[K]) => number,
  code: (x: string, node: NodeOf<K>) => string,
  vjp: OpDef<K>['vjp'],
  printAttrs?: (attrs: AttrMap[K]) => string,
): OpDef<K> {
  const def: OpDef<K> = {
    op,
    leaf: false,
    inputNames: ['x'],
    inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
    reference: (inputs, attrs, out) => mapUnary(at(inputs, 0), out, (v) => f(v, attrs)),
    vjp,
    pointwise: (node, [x = '']) => code(x, node),
    kernel: (node, ctx) => unaryLoop(ctx, node, (x) => code(x, node)),
  };
  return printAttrs === undefined ? def : { ...def, printAttrs };
}

/**
 * The derivative op of an activation: dx = dy ⊙ f'(saved), `saved` being its input x or output y;
 * `code` is the same formula as generated code over element expressions `dy` and `s`.
 */
export function derivativeOp<K extends OpName>(
  op: K,
  saved: 'x' | 'y',
  df: (dy: number, s: number, attrs: AttrMap[K]) => number,
  code: (dy: string, s: string, node: NodeOf<K>) => string,
  printAttrs?: (attrs: AttrMap[K]) => string,
): OpDef<K> {
  const def: OpDef<K> = {
    op,
    leaf: false,
    inputNames: ['dy', saved],
    inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
    reference: (inputs, attrs, out) => mapBinary(at(inputs, 0), at(inputs, 1), out, (g, s) => df(g, s, attrs)),
    pointwise: (node, [dy = '', s = '']) => code(dy, s, node),
    kernel: (node, ctx) => derivativeLoop(ctx, node, (dy, s) => code(dy, s, node)),
  };
  return printAttrs === undefined ? def : { ...def, printAttrs };
}

/** VJP of an activation whose derivative op reads the activation's input x (or its output y). */
export function activationVjp<K extends OpName>(
  saved: 'x' | 'y',
  emit: (dy: number, savedId: number, attrs: AttrMap[K], inputName: string) => ReturnType<VjpRule<unknown>['grad']>,
): VjpRule<{ readonly id: number; readonly inputs: readonly number[]; readonly attrs: AttrMap[K] }> {
  return {
    saves: [saved === 'x' ? 'x' : 'output'],
    grad({ node, dy, name }, operand) {
      if (operand !== 0) return undefined;
      const x = at(node.inputs, 0);
      return emit(dy, saved === 'x' ? x : node.id, node.attrs, name(x));
    },
  };
}
