// IR graph → ONNX ModelProto. Every non-leaf node is lowered by its op's `onnx` trait
// (compiler/ops/<op>.ts) through an `OnnxContext` that collects nodes and constants; leaves
// become graph inputs or initializers. Value names follow the IR: a node's result carries the
// node's name (`fc1`, `grad(fc1)`), its intermediates `<name>/<k>`, constants `const/<k>`.
import { create, toBinary } from '@bufbuild/protobuf';
import { ancestors, nodeIndex } from '../../../compiler/ir/graph.js';
import type { DType, Graph, Node, Shape, TensorType } from '../../../compiler/ir/types.js';
import { defOf } from '../../../compiler/ops/index.js';
import { ONNX_OPSET, type OnnxAttr, type OnnxContext } from '../../../compiler/ops/onnx.js';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './generated/onnx_pb.js';

/** ONNX IR version 8 goes with opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8n;
/** The symbolic name of the batch dimension in graph inputs and outputs. */
export const BATCH_DIM = 'batch';

export type FloatData = Float32Array | Float64Array;

export interface LowerOptions {
  /** Nodes whose values the graph returns, with their output names. */
  readonly outputs: readonly { readonly id: number; readonly name: string }[];
  /** Parameter values, when parameters are initializers (inference); absent: graph inputs. */
  readonly params?: Readonly<Record<string, FloatData>>;
  /** Free text stored in the model's doc_string. */
  readonly doc: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function elementType(dtype: DType): TensorProto_DataType {
  switch (dtype) {
    case 'f32':
      return TensorProto_DataType.FLOAT;
    case 'f64':
      return TensorProto_DataType.DOUBLE;
    case 'i32':
      return TensorProto_DataType.INT32;
  }
}

function valueInfo(name: string, type: TensorType): ValueInfoProto {
  const dim = create(TensorShapeProtoSchema, {
    dim: type.shape.map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: d === 'B' ? { case: 'dimParam', value: BATCH_DIM } : { case: 'dimValue', value: BigInt(d) },
      }),
    ),
  });
  const tensor = create(TypeProto_TensorSchema, { elemType: elementType(type.dtype), shape: dim });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensor } }),
  });
}

function bytesOf(data: Float32Array | Float64Array | Int32Array | BigInt64Array): Uint8Array {
  // NOTE: raw_data is little-endian; typed arrays use the host order (little-endian on every platform Node runs on).
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function tensor(
  name: string,
  dims: readonly number[],
  dataType: TensorProto_DataType,
  data: Float32Array | Float64Array | Int32Array | BigInt64Array,
): TensorProto {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType, rawData: bytesOf(data) });
}

function attribute(name: string, a: OnnxAttr): AttributeProto {
  switch (a.kind) {
    case 'int':
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(a.value) });
    case 'float':
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: a.value });
    case 'ints':
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: a.value.map(BigInt) });
  }
}

function staticShape(shape: Shape, what: string): number[] {
  return shape.map((d) => {
    if (d === 'B') throw new Error(`internal: ${what} has a batch dimension but must be static`);
    return d;
  });
}

/** Collects the ONNX nodes and constants of one graph. */
class Collector {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constants = new Map<string, string>();
  private readonly dims = new Map<string, string>();

  constructor(readonly floatType: DType) {}

  constant(key: string, make: (name: string) => TensorProto): string {
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = `const/${this.constants.size}`;
    this.constants.set(key, name);
    this.initializers.push(make(name));
    return name;
  }

  scalar(value: number): string {
    const data = this.floatType === 'f64' ? Float64Array.of(value) : Float32Array.of(value);
    return this.constant(`${this.floatType}:${Object.is(value, -0) ? '-0' : value}`, (name) =>
      tensor(name, [], elementType(this.floatType), data),
    );
  }

  int64s(values: readonly number[]): string {
    return this.constant(`i64:[${values.join(',')}]`, (name) =>
      tensor(name, [values.length], TensorProto_DataType.INT64, BigInt64Array.from(values.map(BigInt))),
    );
  }

  int32s(values: readonly number[]): string {
    return this.constant(`i32:[${values.join(',')}]`, (name) =>
      tensor(name, [values.length], TensorProto_DataType.INT32, Int32Array.from(values)),
    );
  }

  /** Emits a node named after its output. */
  emit(opType: string, inputs: readonly string[], output: string, attrs: Readonly<Record<string, OnnxAttr>>): void {
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        name: output,
        input: [...inputs],
        output: [output],
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
  }

  /** `Shape → Gather(axis) → Cast`, shared by every op asking for the same value's dim. */
  dim(value: string, axis: number, prefix: string): string {
    const key = `${value}#${axis}`;
    const known = this.dims.get(key);
    if (known !== undefined) return known;
    const shape = `${prefix}/shape`;
    const gathered = `${prefix}/dim${axis}`;
    const cast = `${prefix}/dim${axis}_f`;
    const scalarIndex = this.constant(`i64:${axis}`, (name) =>
      tensor(name, [], TensorProto_DataType.INT64, BigInt64Array.of(BigInt(axis))),
    );
    this.emit('Shape', [value], shape, {});
    this.emit('Gather', [shape, scalarIndex], gathered, { axis: { kind: 'int', value: 0 } });
    this.emit('Cast', [gathered], cast, { to: { kind: 'int', value: elementType(this.floatType) } });
    this.dims.set(key, cast);
    return cast;
  }
}

/** Lowers one IR node through its op's `onnx` trait; its result is named `result`. */
function lowerNode(
  node: Node,
  c: Collector,
  names: ReadonlyMap<number, string>,
  types: ReadonlyMap<number, TensorType>,
  result: string,
): void {
  const def = defOf(node);
  if (def.onnx === undefined) throw new Error(`op '${node.op}' (node '${node.name}') has no ONNX lowering`);
  const inputs = node.inputs.map((id) => names.get(id) ?? '');
  const inputTypes = node.inputs.map((id) => {
    const t = types.get(id);
    if (t === undefined) throw new Error(`internal: no type for operand %${id} of '${node.name}'`);
    return t;
  });
  let k = 0;
  const first = c.nodes.length;
  const ctx: OnnxContext = {
    inputs,
    inputTypes,
    floatElementType: elementType(c.floatType),
    op: (opType, operands, attrs = {}) => {
      const out = `${node.name}/${k++}`;
      c.emit(opType, operands, out, attrs);
      return out;
    },
    scalar: (v) => c.scalar(v),
    int64s: (v) => c.int64s(v),
    int32s: (v) => c.int32s(v),
    dim: (value, axis) => c.dim(value, axis, `${node.name}/${k++}`),
    count: (value) => {
      const size = ctx.op('Size', [value]);
      return ctx.op('Cast', [size], { to: { kind: 'int', value: elementType(c.floatType) } });
    },
  };
  // The def and node are typed per op; the registry lookup already pairs them.
  const value = (def.onnx as (n: Node, ctx: OnnxContext) => string)(node, ctx);
  const last = c.nodes[c.nodes.length - 1];
  if (c.nodes.length > first && last !== undefined && last.output[0] === value) {
    last.output[0] = result;
    last.name = result;
  } else {
    c.emit('Identity', [value], result, {});
  }
}

/** The ONNX model computing `options.outputs` of `graph` (every other node is dropped). */
export function lowerGraph(graph: Graph, options: LowerOptions): Uint8Array {
  const floatType = graph.nodes.find((n) => n.role === 'param')?.type.dtype ?? 'f32';
  const c = new Collector(floatType);
  const needed = ancestors(
    graph,
    options.outputs.map((o) => o.id),
  );
  const index = nodeIndex(graph);
  const outputName = new Map(options.outputs.map((o) => [o.id, o.name]));
  const names = new Map<number, string>();
  const types = new Map<number, TensorType>();
  const inputs: ValueInfoProto[] = [];
  for (const node of graph.nodes) {
    if (!needed.has(node.id)) continue;
    types.set(node.id, node.type);
    const name = outputName.get(node.id) ?? node.name;
    names.set(node.id, name);
    switch (node.role) {
      case 'input':
      case 'target':
      case 'state':
        inputs.push(valueInfo(name, node.type));
        break;
      case 'param': {
        const data = options.params?.[node.name];
        if (options.params === undefined) inputs.push(valueInfo(name, node.type));
        else if (data === undefined) throw new Error(`no value for parameter '${node.name}'`);
        else c.initializers.push(tensor(name, staticShape(node.type.shape, node.name), elementType(floatType), data));
        break;
      }
      case 'const':
        if (node.op !== 'fill') throw new Error(`internal: constant '${node.name}' is a ${node.op}, not a fill`);
        names.set(node.id, c.scalar(node.attrs.value));
        if (staticShape(node.type.shape, node.name).length !== 0)
          throw new Error(`internal: constant '${node.name}' is not a scalar`);
        break;
      default:
        lowerNode(node, c, names, types, name);
    }
  }
  const outputs = options.outputs.map((o) => {
    const node = index.get(o.id);
    if (node === undefined) throw new Error(`internal: no output node %${o.id}`);
    if (names.get(o.id) !== o.name) c.emit('Identity', [names.get(o.id) ?? ''], o.name, {});
    return valueInfo(o.name, node.type);
  });
  const model = create(ModelProtoSchema, {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(ONNX_OPSET) })],
    producerName: 'chainrule',
    producerVersion: '0.1.0',
    docString: options.doc,
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
    graph: create(GraphProtoSchema, {
      name: graph.name,
      node: c.nodes,
      initializer: c.initializers,
      input: inputs,
      output: outputs,
    }),
  });
  return toBinary(ModelProtoSchema, model);
}
