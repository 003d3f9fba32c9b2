// An ONNX model (ModelProto bytes) of a benchmark MLP: Gemm (+ Relu) per layer, then Softmax,
// with the benchmark's weights as initializers. Field numbers follow onnx/onnx.proto.
import { weightOf, type Weights } from '../data.js';
import type { Network } from '../workloads.js';
import {
  bytesField,
  type Field,
  float32LittleEndian,
  intField,
  message,
  messageField,
  stringField,
} from './protobuf.js';

/** Pinned to what onnxruntime 1.x reads without conversion. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;

const TENSOR_FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTRIBUTE_INT = 2; // AttributeProto.AttributeType.INT

const Model = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OpsetId = { domain: 1, version: 2 } as const;
const Graph = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const Node = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const Attribute = { name: 1, i: 3, type: 20 } as const;
const Tensor = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const ValueInfo = { name: 1, type: 2 } as const;
const TypeProto = { tensorType: 1 } as const;
const TypeTensor = { elemType: 1, shape: 2 } as const;
const Shape = { dim: 1 } as const;
const Dimension = { dimValue: 1 } as const;

function node(
  opType: string,
  name: string,
  inputs: readonly string[],
  output: string,
  attributes: readonly Field[] = [],
): Field {
  return messageField(Graph.node, [
    ...inputs.map((i) => stringField(Node.input, i)),
    stringField(Node.output, output),
    stringField(Node.name, name),
    stringField(Node.opType, opType),
    ...attributes,
  ]);
}

function intAttribute(name: string, value: number): Field {
  return messageField(Node.attribute, [
    stringField(Attribute.name, name),
    intField(Attribute.type, ATTRIBUTE_INT),
    intField(Attribute.i, value),
  ]);
}

function initializer(name: string, dims: readonly number[], values: Float32Array): Field {
  return messageField(Graph.initializer, [
    ...dims.map((d) => intField(Tensor.dims, d)),
    intField(Tensor.dataType, TENSOR_FLOAT),
    stringField(Tensor.name, name),
    bytesField(Tensor.rawData, float32LittleEndian(values)),
  ]);
}

function floatTensorValue(field: number, name: string, dims: readonly number[]): Field {
  const shape = messageField(
    TypeTensor.shape,
    dims.map((d) => messageField(Shape.dim, [intField(Dimension.dimValue, d)])),
  );
  const tensorType = messageField(TypeProto.tensorType, [intField(TypeTensor.elemType, TENSOR_FLOAT), shape]);
  return messageField(field, [stringField(ValueInfo.name, name), messageField(ValueInfo.type, [tensorType])]);
}

/** Serialized ModelProto for `net` at a fixed batch size. */
export function encodeMlpModel(net: Network, weights: Weights, batch: number): Uint8Array {
  const fields: Field[] = [];
  let current = net.inputName;
  for (const layer of net.layers) {
    const w = `${layer.name}.weight`;
    const b = `${layer.name}.bias`;
    fields.push(initializer(w, [layer.inputs, layer.units], weightOf(weights, w)));
    fields.push(initializer(b, [layer.units], weightOf(weights, b)));
    // Gemm: Y = A·B + C with C broadcast over rows — exactly the spec's linear layer.
    const z = layer.activation === 'relu' ? `${layer.name}.z` : layer.name;
    fields.push(node('Gemm', layer.name, [current, w, b], z));
    if (layer.activation === 'relu') fields.push(node('Relu', `${layer.name}.relu`, [z], layer.name));
    current = layer.name;
  }
  fields.push(node('Softmax', net.outputName, [current], net.outputName, [intAttribute('axis', 1)]));
  fields.push(floatTensorValue(Graph.input, net.inputName, [batch, net.inputSize]));
  fields.push(floatTensorValue(Graph.output, net.outputName, [batch, net.classes]));

  return message([
    intField(Model.irVersion, ONNX_IR_VERSION),
    stringField(Model.producerName, 'chainrule-bench'),
    stringField(Model.producerVersion, '0.1.0'),
    messageField(Model.graph, [stringField(Graph.name, net.spec.name), ...fields]),
    messageField(Model.opsetImport, [stringField(OpsetId.domain, ''), intField(OpsetId.version, ONNX_OPSET)]),
  ]);
}
