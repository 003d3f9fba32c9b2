// Hand-built ONNX models for import tests, written with the protobuf types directly (not with
// chainrule's exporter), so importer tests do not depend on what the exporter happens to write.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from '../../src/interop/onnx/generated/onnx_pb.js';

export type Attr = number | string | { readonly f: number } | { readonly tensor: TensorProto };

export interface NodeDef {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly attrs?: Readonly<Record<string, Attr>>;
  readonly domain?: string;
}

export interface ModelDef {
  readonly inputs: readonly { readonly name: string; readonly dims: readonly (number | 'N')[] }[];
  readonly outputs: readonly string[];
  readonly nodes: readonly NodeDef[];
  readonly initializers?: Readonly<
    Record<string, { readonly dims: readonly number[]; readonly data: readonly number[] }>
  >;
  readonly opset?: number;
  readonly name?: string;
}

export function floatTensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    rawData: new Uint8Array(Float32Array.from(data).buffer),
  });
}

function attribute(name: string, value: Attr) {
  if (typeof value === 'number')
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
  if (typeof value === 'string') {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if ('tensor' in value)
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.TENSOR, t: value.tensor });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value.f });
}

function valueInfo(name: string, dims: readonly (number | 'N' | 'M')[]) {
  const shape = create(TensorShapeProtoSchema, {
    dim: dims.map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: typeof d === 'string' ? { case: 'dimParam', value: d } : { case: 'dimValue', value: BigInt(d) },
      }),
    ),
  });
  const tensor = create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT, shape });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensor } }),
  });
}

export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dims: [BigInt(values.length)],
    dataType: TensorProto_DataType.INT64,
    int64Data: values.map(BigInt),
  });
}

/** Serialized ModelProto; `extra` can replace initializers (e.g. hostile ones). */
export function buildOnnx(def: ModelDef, extra: { initializers?: TensorProto[] } = {}): Uint8Array {
  const inits =
    extra.initializers ?? Object.entries(def.initializers ?? {}).map(([name, t]) => floatTensor(name, t.dims, t.data));
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(def.opset ?? 17) })],
    graph: create(GraphProtoSchema, {
      name: def.name ?? 'hand_built',
      node: def.nodes.map((n) =>
        create(NodeProtoSchema, {
          opType: n.op,
          name: n.output,
          input: [...n.inputs],
          output: [n.output],
          domain: n.domain ?? '',
          attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
        }),
      ),
      initializer: inits,
      input: def.inputs.map((i) => valueInfo(i.name, i.dims)),
      output: def.outputs.map((o) => valueInfo(o, ['N', 'M'])),
    }),
  });
  return toBinary(ModelProtoSchema, model);
}
