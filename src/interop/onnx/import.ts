// `chainrule import MODEL.onnx`: an ONNX MLP as a spec plus weights. The supported subset is the
// dense networks PyTorch, Keras converters and chainrule itself write (SUPPORTED_ONNX below);
// anything else is refused with the node, its op type and that list. The file is untrusted:
// every size is checked before use, and decoding errors become clear messages, never crashes.
//
// Walk: nodes in file order (ONNX requires a topological order); each value is a spec tensor, a
// constant, a pending MatMul (waiting for an `Add` bias), or an elementwise function of one
// tensor (a chain like GELU's decomposition), classified by activation-match.ts when consumed.
import { fromBinary } from '@bufbuild/protobuf';
import { RuntimeError } from '../../../runtime/errors.js';
import { cleanFloat32, erf, matchActivation } from '../activation-match.js';
import { type ImportedModel, type LossChoice, parseRecipe, RECIPE_KEY, SpecDraft } from '../spec-draft.js';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type ValueInfoProto,
} from './generated/onnx_pb.js';

export const SUPPORTED_ONNX =
  'Gemm (alpha = beta = 1, any transB), MatMul + Add bias, Relu, LeakyRelu, Sigmoid, Tanh, Gelu (the op or its erf/tanh decomposition), Softmax/LogSoftmax on the last axis, Add joining two branches, Identity, Constant, and a leading Flatten/Reshape to [N, d]';

/** Largest tensor an import accepts (elements); a bigger declared size is a hostile or wrong file. */
const MAX_ELEMENTS = 1 << 28;
/** Longest elementwise chain folded into one activation (GELU's decomposition has 9 nodes). */
const MAX_CHAIN = 64;
/** Graph names exporters write by default; the file name is a better spec name. */
const GENERIC_GRAPH_NAMES = new Set(['torch_jit', 'torch-jit-export', 'main_graph', 'graph', 'tf2onnx', '']);

interface Const {
  readonly dims: readonly number[];
  readonly values: Float64Array;
}

type Value =
  /** A graph input not yet used: rank 2 becomes a spec input at first use, higher ranks need a Flatten. */
  | { readonly kind: 'input'; readonly raw: string; readonly dims: readonly (number | undefined)[]; done?: string }
  | { readonly kind: 'tensor'; readonly name: string }
  | { readonly kind: 'const'; readonly c: Const }
  | {
      readonly kind: 'matmul';
      readonly raw: string;
      readonly x: string;
      readonly w: Float32Array;
      readonly units: number;
      done?: string;
    }
  | {
      readonly kind: 'expr';
      readonly raw: string;
      readonly base: string;
      readonly f: (x: number) => number;
      readonly size: number;
      /** An explicit ONNX Identity of a tensor: kept as a spec identity node. */
      readonly identity: boolean;
      done?: string;
    };

class Importer {
  readonly draft: SpecDraft;
  readonly values = new Map<string, Value>();
  private readonly opset: number;

  constructor(
    private readonly source: string,
    model: ModelProto,
  ) {
    this.draft = new SpecDraft(source);
    this.opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0n);
  }

  fail(node: NodeProto | undefined, message: string, hint = `chainrule imports: ${SUPPORTED_ONNX}`): RuntimeError {
    const where = node === undefined ? '' : ` node '${node.name || node.output[0] || '?'}' (${node.opType})`;
    return new RuntimeError(`${this.source}:${where} ${message}`, hint);
  }

  /** The name a node's result gets: its output's name when that is a graph output, else the node's name. */
  rawName(node: NodeProto, outputs: ReadonlySet<string>): string {
    const out = node.output[0] ?? '';
    return outputs.has(out) || node.name === '' ? out : node.name;
  }

  value(node: NodeProto, i: number): Value {
    const name = node.input[i];
    if (name === undefined || name === '') throw this.fail(node, `has no operand ${i + 1}`);
    const v = this.values.get(name);
    if (v === undefined) throw this.fail(node, `reads '${name}', which no earlier node or graph input defines`);
    return v;
  }

  set(node: NodeProto, v: Value): void {
    const out = node.output[0];
    if (out === undefined || out === '') throw this.fail(node, 'has no output');
    if (node.output.length > 1 && node.output.slice(1).some((o) => o !== '')) {
      throw this.fail(node, 'has several outputs; chainrule imports single-output ops');
    }
    this.values.set(out, v);
  }

  /** A spec tensor for a value (creating the linear/activation node a pending value stands for). */
  tensor(v: Value, node: NodeProto | undefined): string {
    switch (v.kind) {
      case 'tensor':
        return v.name;
      case 'const':
        throw this.fail(node, 'uses a constant where a tensor computed from the inputs is expected');
      case 'input': {
        if (v.done !== undefined) return v.done;
        const width = v.dims[1];
        if (v.dims.length !== 2 || width === undefined) {
          throw this.fail(
            node,
            `reads graph input '${v.raw}' of shape [${v.dims.map((d) => d ?? '?').join(', ')}], but chainrule needs [N, features]`,
            'flatten it first: a leading Flatten (axis 1) or Reshape to [N, d] is imported',
          );
        }
        v.done = this.draft.input(v.raw, width);
        return v.done;
      }
      case 'matmul':
        v.done ??= this.draft.linear(v.raw, v.x, v.w, v.units, undefined);
        return v.done;
      case 'expr': {
        if (v.done !== undefined) return v.done;
        const match = matchActivation(v.f);
        if (match === undefined) {
          throw this.fail(
            node,
            `reads '${v.raw}', an elementwise computation that is none of chainrule's activations (identity, relu, leaky_relu, sigmoid, tanh, gelu)`,
          );
        }
        if (match.note !== undefined) this.draft.warnings.push(`'${v.raw}': ${match.note}`);
        const a = match.activation;
        if (a.op === 'identity' && !v.identity) v.done = v.base;
        else v.done = this.draft.unary(v.raw, a.op, v.base, a.op === 'leaky_relu' ? a.alpha : undefined);
        return v.done;
      }
    }
  }

  /** A value as a function of one tensor, for elementwise chains; scalars as constants. */
  private fn(v: Value, node: NodeProto): { base: string; f: (x: number) => number; size: number } | number {
    if (v.kind === 'const') {
      if (v.c.values.length !== 1) throw this.fail(node, 'combines a tensor with a non-scalar constant');
      return v.c.values[0] ?? 0;
    }
    if (v.kind === 'expr' && v.done === undefined) return { base: v.base, f: v.f, size: v.size };
    return { base: this.tensor(v, node), f: (x) => x, size: 0 };
  }

  /** `op(a, b)` elementwise, when both sides are functions of the same tensor (or scalars). */
  binaryExpr(node: NodeProto, raw: string, op: (a: number, b: number) => number): Value {
    const [a, b] = [this.fn(this.value(node, 0), node), this.fn(this.value(node, 1), node)];
    if (typeof a === 'number' && typeof b === 'number') {
      return { kind: 'const', c: { dims: [], values: Float64Array.of(op(a, b)) } };
    }
    const fa = typeof a === 'number' ? undefined : a;
    const fb = typeof b === 'number' ? undefined : b;
    const base = fa?.base ?? fb?.base ?? '';
    if (fa !== undefined && fb !== undefined && fa.base !== fb.base) {
      throw this.fail(node, `combines two different tensors ('${fa.base}', '${fb.base}'); only Add joins branches`);
    }
    const ga = typeof a === 'number' ? () => a : a.f;
    const gb = typeof b === 'number' ? () => b : b.f;
    const size = (fa?.size ?? 0) + (fb?.size ?? 0) + 1;
    if (size > MAX_CHAIN) throw this.fail(node, `ends an elementwise chain of more than ${MAX_CHAIN} ops`);
    return { kind: 'expr', raw, base, f: (x) => op(ga(x), gb(x)), size, identity: false };
  }

  unaryExpr(node: NodeProto, raw: string, op: (x: number) => number, identity = false): Value {
    const a = this.fn(this.value(node, 0), node);
    if (typeof a === 'number') return { kind: 'const', c: { dims: [], values: Float64Array.of(op(a)) } };
    if (a.size + 1 > MAX_CHAIN) throw this.fail(node, `ends an elementwise chain of more than ${MAX_CHAIN} ops`);
    return {
      kind: 'expr',
      raw,
      base: a.base,
      f: (x) => op(a.f(x)),
      size: a.size + 1,
      identity: identity && a.size === 0,
    };
  }

  constant(node: NodeProto, i: number, what: string): Const {
    const v = this.value(node, i);
    if (v.kind !== 'const')
      throw this.fail(node, `needs its ${what} '${node.input[i]}' to be an initializer (a constant)`);
    return v.c;
  }

  /** Gemm / MatMul weight as [in, units] float32. */
  weight(node: NodeProto, c: Const, transposed: boolean, inDim: number): { w: Float32Array; units: number } {
    if (c.dims.length !== 2) throw this.fail(node, `has a weight of shape [${c.dims.join(', ')}], not a matrix`);
    const [r = 0, k = 0] = c.dims;
    const [rows, units] = transposed ? [k, r] : [r, k];
    if (rows !== inDim) {
      throw this.fail(
        node,
        `multiplies a [N, ${inDim}] tensor by a weight with ${rows} rows${transposed ? ' (transB = 1)' : ''}`,
      );
    }
    const w = new Float32Array(rows * units);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < units; j++) w[i * units + j] = c.values[transposed ? j * rows + i : i * units + j] ?? 0;
    }
    return { w, units };
  }

  bias(node: NodeProto, c: Const, units: number): Float32Array {
    const ok = c.values.length === units && (c.dims.length === 1 || (c.dims.length === 2 && c.dims[0] === 1));
    if (!ok)
      throw this.fail(
        node,
        `has a bias of shape [${c.dims.join(', ')}]; a linear layer of ${units} units needs [${units}]`,
      );
    return Float32Array.from(c.values);
  }

  run(node: NodeProto, outputs: ReadonlySet<string>): void {
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw this.fail(node, `is in the custom domain '${node.domain}'; chainrule imports standard ONNX ops only`);
    }
    const raw = this.rawName(node, outputs);
    const attrs = new Map(node.attribute.map((a) => [a.name, a]));
    const int = (name: string, dflt: number): number => intAttr(attrs.get(name), dflt);
    const flt = (name: string, dflt: number): number => floatAttr(attrs.get(name), dflt);
    switch (node.opType) {
      case 'Constant': {
        const t = attrs.get('value');
        if (t?.t === undefined)
          throw this.fail(node, 'has no tensor `value` (value_float and friends are not supported)');
        this.set(node, { kind: 'const', c: readTensor(t.t, this.source, node.output[0] ?? '') });
        return;
      }
      case 'Gemm': {
        if (flt('alpha', 1) !== 1 || flt('beta', 1) !== 1) throw this.fail(node, 'has alpha or beta ≠ 1');
        if (int('transA', 0) !== 0) throw this.fail(node, 'has transA = 1');
        const x = this.tensor(this.value(node, 0), node);
        const { w, units } = this.weight(
          node,
          this.constant(node, 1, 'weight B'),
          int('transB', 0) === 1,
          this.draft.widthOf(x),
        );
        const b =
          node.input[2] === undefined || node.input[2] === ''
            ? undefined
            : this.bias(node, this.constant(node, 2, 'bias C'), units);
        this.set(node, { kind: 'tensor', name: this.draft.linear(raw, x, w, units, b) });
        return;
      }
      case 'MatMul': {
        const x = this.tensor(this.value(node, 0), node);
        const { w, units } = this.weight(node, this.constant(node, 1, 'weight'), false, this.draft.widthOf(x));
        this.set(node, { kind: 'matmul', raw, x, w, units });
        return;
      }
      case 'Add': {
        const [a, b] = [this.value(node, 0), this.value(node, 1)];
        const mm =
          a.kind === 'matmul' && a.done === undefined ? a : b.kind === 'matmul' && b.done === undefined ? b : undefined;
        const other = mm === a ? b : a;
        if (mm !== undefined && other.kind === 'const' && other.c.values.length !== 1) {
          const name = this.draft.linear(raw, mm.x, mm.w, mm.units, this.bias(node, other.c, mm.units));
          this.set(node, { kind: 'tensor', name });
          return;
        }
        if (a.kind !== 'const' && b.kind !== 'const' && this.baseOf(a, node) !== this.baseOf(b, node)) {
          const [ta, tb] = [this.tensor(a, node), this.tensor(b, node)];
          if (this.draft.widthOf(ta) !== this.draft.widthOf(tb)) {
            throw this.fail(
              node,
              `adds '${ta}' [N, ${this.draft.widthOf(ta)}] and '${tb}' [N, ${this.draft.widthOf(tb)}]: widths differ`,
            );
          }
          this.set(node, { kind: 'tensor', name: this.draft.add(raw, [ta, tb]) });
          return;
        }
        this.set(
          node,
          this.binaryExpr(node, raw, (u, v) => u + v),
        );
        return;
      }
      case 'Sub':
        return this.set(
          node,
          this.binaryExpr(node, raw, (u, v) => u - v),
        );
      case 'Mul':
        return this.set(
          node,
          this.binaryExpr(node, raw, (u, v) => u * v),
        );
      case 'Div':
        return this.set(
          node,
          this.binaryExpr(node, raw, (u, v) => u / v),
        );
      case 'Pow':
        return this.set(
          node,
          this.binaryExpr(node, raw, (u, v) => u ** v),
        );
      case 'Tanh':
        return this.set(node, this.unaryExpr(node, raw, Math.tanh));
      case 'Erf':
        return this.set(node, this.unaryExpr(node, raw, erf));
      case 'Sqrt':
        return this.set(node, this.unaryExpr(node, raw, Math.sqrt));
      case 'Neg':
        return this.set(
          node,
          this.unaryExpr(node, raw, (x) => -x),
        );
      case 'Exp':
        return this.set(node, this.unaryExpr(node, raw, Math.exp));
      case 'Reciprocal':
        return this.set(
          node,
          this.unaryExpr(node, raw, (x) => 1 / x),
        );
      case 'Relu':
        return this.set(
          node,
          this.unaryExpr(node, raw, (x) => (x > 0 ? x : 0)),
        );
      case 'Sigmoid':
        return this.set(
          node,
          this.unaryExpr(node, raw, (x) => 1 / (1 + Math.exp(-x))),
        );
      case 'LeakyRelu': {
        const alpha = cleanFloat32(flt('alpha', 0.01));
        return this.set(
          node,
          this.unaryExpr(node, raw, (x) => (x > 0 ? x : alpha * x)),
        );
      }
      case 'Identity':
        return this.set(
          node,
          this.unaryExpr(node, raw, (x) => x, true),
        );
      case 'Gelu': {
        const approximate = stringAttr(attrs.get('approximate'), 'none');
        const c = Math.sqrt(2 / Math.PI);
        const f =
          approximate === 'tanh'
            ? (x: number) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)))
            : (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
        return this.set(node, this.unaryExpr(node, raw, f));
      }
      case 'Softmax':
      case 'LogSoftmax': {
        const axis = int('axis', this.opset >= 13 ? -1 : 1);
        if (axis !== -1 && axis !== 1)
          throw this.fail(node, `normalizes axis ${axis}; chainrule's softmax is over the last axis`);
        const x = this.tensor(this.value(node, 0), node);
        const op = node.opType === 'Softmax' ? 'softmax' : 'log_softmax';
        this.set(node, { kind: 'tensor', name: this.draft.unary(raw, op, x) });
        return;
      }
      case 'Flatten':
      case 'Reshape':
        this.set(node, this.flatten(node, int('axis', 1)));
        return;
      default:
        throw this.fail(node, 'is not supported');
    }
  }

  private baseOf(v: Value, node: NodeProto): string {
    const f = this.fn(v, node);
    return typeof f === 'number' ? '' : f.base;
  }

  /** A leading Flatten (axis 1) or Reshape to [N, d] of a graph input. */
  private flatten(node: NodeProto, axis: number): Value {
    const v = this.value(node, 0);
    if (v.kind !== 'input' || v.done !== undefined) {
      if (v.kind === 'input' || (v.kind === 'tensor' && this.draft.inputs[v.name] !== undefined)) {
        if (node.opType === 'Flatten' && axis === 1) return { kind: 'tensor', name: this.tensor(v, node) };
      }
      throw this.fail(node, 'reshapes a computed tensor; only a leading Flatten/Reshape of a graph input is imported');
    }
    const [, ...features] = v.dims;
    if (features.some((d) => d === undefined))
      throw this.fail(node, `flattens input '${v.raw}' whose feature dims are not all fixed`);
    const width = features.reduce<number>((a, d) => a * (d ?? 0), 1);
    if (node.opType === 'Flatten') {
      if (axis !== 1) throw this.fail(node, `flattens from axis ${axis}; only axis 1 gives [N, d]`);
    } else {
      const shape = Array.from(this.constant(node, 1, 'shape').values);
      const ok = shape.length === 2 && (shape[0] === -1 || shape[0] === 0) && (shape[1] === -1 || shape[1] === width);
      const fixedBatch = shape.length === 2 && shape[1] === width && shape[0] === v.dims[0];
      if (!ok && !fixedBatch) {
        throw this.fail(
          node,
          `reshapes input '${v.raw}' to [${shape.join(', ')}]; chainrule needs [N, ${width}] (e.g. [-1, ${width}])`,
        );
      }
    }
    v.done = this.draft.input(v.raw, width);
    return { kind: 'tensor', name: v.done };
  }
}

function intAttr(a: AttributeProto | undefined, dflt: number): number {
  return a === undefined ? dflt : Number(a.i);
}

function floatAttr(a: AttributeProto | undefined, dflt: number): number {
  return a === undefined ? dflt : a.f;
}

function stringAttr(a: AttributeProto | undefined, dflt: string): string {
  return a === undefined || a.type !== AttributeProto_AttributeType.STRING ? dflt : new TextDecoder().decode(a.s);
}

/** A constant's values as float64, with every declared size checked against the bytes present. */
export function readTensor(t: TensorProto, source: string, name: string): Const {
  const where = `${source}: tensor '${t.name || name}'`;
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL || t.externalData.length > 0) {
    throw new RuntimeError(
      `${where} keeps its data in an external file, which chainrule does not read`,
      'save the model as one self-contained file (onnx.save_model(model, path, save_as_external_data=False))',
    );
  }
  const dims = t.dims.map(Number);
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RuntimeError(`${where} declares a dimension of ${d}`);
    count *= d;
    if (count > MAX_ELEMENTS) throw new RuntimeError(`${where} declares more than ${MAX_ELEMENTS} elements`);
  }
  const raw = t.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const values = new Float64Array(count);
  const fromRaw = (bytes: number, read: (at: number) => number): void => {
    if (raw.length !== count * bytes) {
      throw new RuntimeError(
        `${where} declares ${count} elements but holds ${raw.length} bytes (${bytes} per element)`,
      );
    }
    for (let i = 0; i < count; i++) values[i] = read(i * bytes);
  };
  const fromList = (list: ArrayLike<number | bigint>, field: string): void => {
    if (list.length !== count)
      throw new RuntimeError(`${where} declares ${count} elements but ${field} has ${list.length}`);
    for (let i = 0; i < count; i++) values[i] = Number(list[i]);
  };
  const useRaw = raw.length > 0 || count === 0;
  switch (t.dataType) {
    case TensorProto_DataType.FLOAT:
      if (useRaw) fromRaw(4, (at) => view.getFloat32(at, true));
      else fromList(t.floatData, 'float_data');
      break;
    case TensorProto_DataType.DOUBLE:
      if (useRaw) fromRaw(8, (at) => view.getFloat64(at, true));
      else fromList(t.doubleData, 'double_data');
      break;
    case TensorProto_DataType.INT64:
      if (useRaw) fromRaw(8, (at) => Number(view.getBigInt64(at, true)));
      else fromList(t.int64Data, 'int64_data');
      break;
    case TensorProto_DataType.INT32:
      if (useRaw) fromRaw(4, (at) => view.getInt32(at, true));
      else fromList(t.int32Data, 'int32_data');
      break;
    default:
      throw new RuntimeError(
        `${where} has element type ${TensorProto_DataType[t.dataType] ?? t.dataType}; chainrule reads float, double, int32 and int64 constants`,
      );
  }
  // A NaN or infinite weight would be written to weights.safetensors and refused only later by eval.
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new RuntimeError(
        `${where} holds ${values[i]} at index ${i}; weights must be finite`,
        'the exported model is damaged or its training diverged; export it again from a finite checkpoint',
      );
    }
  }
  return { dims, values };
}

function dimsOf(info: ValueInfoProto): (number | undefined)[] | undefined {
  const type = info.type?.value;
  if (type?.case !== 'tensorType') return undefined;
  return type.value.shape?.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : undefined));
}

/** Decodes ONNX bytes; a malformed or truncated file is a RuntimeError, never a crash. */
export function decodeOnnx(bytes: Uint8Array, source: string): ModelProto {
  try {
    return fromBinary(ModelProtoSchema, bytes);
  } catch (err) {
    throw new RuntimeError(
      `${source} is not a valid ONNX model: ${err instanceof Error ? err.message : String(err)}`,
      'pass a .onnx file (a serialized ModelProto), e.g. from torch.onnx.export or `chainrule export`',
    );
  }
}

export interface ImportOptions {
  /** The spec's name when the graph's own is generic (`torch_jit`, `main_graph`) or absent. */
  readonly fallbackName: string;
  /** Overrides both. */
  readonly name?: string;
  readonly loss?: LossChoice;
}

/** An ONNX model's bytes as a spec and weights. */
export function importOnnx(bytes: Uint8Array, source: string, options: ImportOptions): ImportedModel {
  const model = decodeOnnx(bytes, source);
  const graph = model.graph;
  if (graph === undefined) throw new RuntimeError(`${source} is an ONNX model without a graph`);
  const importer = new Importer(source, model);
  const values = importer.values;
  for (const t of graph.initializer) values.set(t.name, { kind: 'const', c: readTensor(t, source, t.name) });
  if (graph.sparseInitializer.length > 0)
    throw new RuntimeError(`${source} has sparse initializers, which chainrule does not read`);
  for (const info of graph.input) {
    if (values.has(info.name)) continue; // IR < 4 lists initializers as inputs too
    const type = info.type?.value;
    if (
      type?.case !== 'tensorType' ||
      (type.value.elemType !== TensorProto_DataType.FLOAT && type.value.elemType !== TensorProto_DataType.DOUBLE)
    ) {
      throw new RuntimeError(
        `${source}: graph input '${info.name}' is not a float tensor`,
        'chainrule models take float features [N, d]',
      );
    }
    values.set(info.name, { kind: 'input', raw: info.name, dims: dimsOf(info) ?? [] });
  }
  const outputs = new Set(graph.output.map((o) => o.name));
  for (const node of graph.node) importer.run(node, outputs);
  const specOutputs = graph.output.map((o) => {
    const v = values.get(o.name);
    if (v === undefined) throw new RuntimeError(`${source}: graph output '${o.name}' is computed by no node`);
    if (v.kind === 'input')
      throw new RuntimeError(`${source}: graph output '${o.name}' is a graph input; there is nothing to import`);
    return importer.tensor(v, undefined);
  });
  const name = options.name ?? (GENERIC_GRAPH_NAMES.has(graph.name) ? options.fallbackName : graph.name);
  const recipe = parseRecipe(model.metadataProps.find((m) => m.key === RECIPE_KEY)?.value);
  return importer.draft.finish(name, specOutputs, options.loss, recipe);
}
