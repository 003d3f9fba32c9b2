// Builders for the elementwise ops (activations and their derivative ops), so each activation
// file states only its math and its words: f, f', which tensor f' is written from, the spec
// vocabulary, the explain/diagram text and worked values.
import { derivativeLoop, unaryLoop } from '../codegen/template-kit.js';
import type { AttrMap, NodeOf, OpName } from '../ir/types.js';
import type { DiagramText, NodeVocabulary, OpDef, OpExample, OperandDomain, SpecNodeOpDef, VjpRule } from './op-def.js';
import { at, mapBinary, mapUnary, sameTypeRule } from './shape.js';

/** An activation's definition: every activation is usable from a spec, so `spec` is required. */
export type ActivationDef<K extends OpName> = SpecNodeOpDef<K>;

/** The element-i template shape `unaryLoop` writes: alias-safe (see compiler/passes/memory/in-place.ts). */
const UNARY_IN_PLACE = 'unary: reads X[i] into a local, then stores O[i]';
/** The element-i template shape `derivativeLoop` writes: either operand may be overwritten. */
const DERIVATIVE_IN_PLACE = 'derivative: reads DY[i] and S[i] into locals, then stores O[i]';

export interface UnaryOpOptions<K extends OpName> {
  /** y = f(x), the reference (in float64). */
  readonly f: (x: number, attrs: AttrMap[K]) => number;
  /** The same formula as generated code over an element expression `x` (may appear several times). */
  readonly code: (x: string, node: NodeOf<K>) => string;
  readonly vjp: OpDef<K>['vjp'];
  readonly spec: NodeVocabulary<K>;
  readonly printAttrs?: (attrs: AttrMap[K]) => string;
  /** he_uniform for relu-like activations (the linear layer feeding it); default glorot_uniform. */
  readonly feedInit?: OpDef<K>['feedInit'];
  readonly diagram?: DiagramText<K>;
  readonly helpers?: readonly string[];
  readonly examples?: readonly OpExample<K>[];
  readonly domains?: readonly OperandDomain[];
  readonly onnx?: OpDef<K>['onnx'];
  readonly tfjs?: OpDef<K>['tfjs'];
  readonly wasmStore?: OpDef<K>['wasmStore'];
}

/** Copies the optional fields that are set (the definitions stay free of `undefined` keys). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A unary activation y = f(x); its kernel is one loop of `code`, and fused kernels inline the
 * same `code`.
 */
export function unaryOp<K extends OpName>(op: K, o: UnaryOpOptions<K>): ActivationDef<K> {
  return {
    op,
    leaf: false,
    group: 'activation',
    inPlace: UNARY_IN_PLACE,
    inputNames: ['x'],
    inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
    reference: (inputs, attrs, out) => mapUnary(at(inputs, 0), out, (v) => o.f(v, attrs)),
    vjp: o.vjp,
    pointwise: (node, [x = '']) => o.code(x, node),
    kernel: (node, ctx) => unaryLoop(ctx, node, (x) => o.code(x, node)),
    spec: o.spec,
    ...defined({
      printAttrs: o.printAttrs,
      feedInit: o.feedInit,
      diagram: o.diagram,
      helpers: o.helpers,
      examples: o.examples,
      domains: o.domains,
      onnx: o.onnx,
      tfjs: o.tfjs,
      wasmStore: o.wasmStore,
    }),
  };
}

export interface DerivativeOpOptions<K extends OpName> {
  /** Which forward tensor f' is written from: the activation's input x or its output y. */
  readonly saved: 'x' | 'y';
  /** dx = df(dy, s), the reference (in float64). */
  readonly df: (dy: number, s: number, attrs: AttrMap[K]) => number;
  /** The same formula as generated code over element expressions `dy` and `s`. */
  readonly code: (dy: string, s: string, node: NodeOf<K>) => string;
  /** The derivative's symbol in explain's equations, e.g. `σ'`. */
  readonly prime: string;
  /** f'(z) written out from the activation's argument, e.g. `σ(z)(1 − σ(z))` (ExplainText.expanded). */
  readonly expanded: (z: string, attrs: AttrMap[K]) => string;
  readonly printAttrs?: (attrs: AttrMap[K]) => string;
  readonly diagram?: DiagramText<K>;
  readonly helpers?: readonly string[];
  readonly examples?: readonly OpExample<K>[];
  readonly domains?: readonly OperandDomain[];
  readonly onnx?: OpDef<K>['onnx'];
  readonly wasmGradStore?: OpDef<K>['wasmGradStore'];
}

/** The derivative op of an activation: dx = dy ⊙ f'(saved), `saved` being its input x or output y. */
export function derivativeOp<K extends OpName>(op: K, o: DerivativeOpOptions<K>): OpDef<K> {
  return {
    op,
    leaf: false,
    group: 'activation-grad',
    inPlace: DERIVATIVE_IN_PLACE,
    inputNames: ['dy', o.saved],
    inferType: (inputs, _attrs, labels) => sameTypeRule(inputs, labels),
    reference: (inputs, attrs, out) => mapBinary(at(inputs, 0), at(inputs, 1), out, (g, s) => o.df(g, s, attrs)),
    pointwise: (node, [dy = '', s = '']) => o.code(dy, s, node),
    kernel: (node, ctx) => derivativeLoop(ctx, node, (dy, s) => o.code(dy, s, node)),
    explain: { prime: o.prime, expanded: o.expanded },
    ...defined({
      printAttrs: o.printAttrs,
      diagram: o.diagram,
      helpers: o.helpers,
      examples: o.examples,
      domains: o.domains,
      onnx: o.onnx,
      wasmGradStore: o.wasmGradStore,
    }),
  };
}

/**
 * VJP of an activation whose derivative op `gradOp` reads the activation's input x (or its output
 * y); the backward edge is labelled `⊙<prime>(x)`.
 */
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

/** The spec vocabulary of an activation without attributes. */
export function plainActivation<K extends OpName>(summary: string): NodeVocabulary<K> {
  return { use: 'node', summary, arity: 'unary', attrs: [], attrsFromSpec: () => ({}) as AttrMap[K] };
}
