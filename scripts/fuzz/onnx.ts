// ONNX files for `chainrule import`: the PyTorch-exported fixtures, damaged as bytes (truncated,
// flipped, spliced) or as messages (op types, dropped nodes and initializers, dims claiming
// terabytes, wrong data types, short raw data, external data paths, self-referencing nodes).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { Rng } from '../../runtime/rng.js';
import {
  AttributeProtoSchema,
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
} from '../../src/interop/onnx/generated/onnx_pb.js';
import { between, caseRng, pick } from './rand.js';

export interface OnnxCase {
  readonly label: string;
  readonly bytes: Uint8Array;
}

const dir = new URL('../../test/fixtures/interop/', import.meta.url).pathname;

let fixtures: { name: string; bytes: Uint8Array }[] | undefined;

function bases(): { name: string; bytes: Uint8Array }[] {
  fixtures ??= readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
  return fixtures;
}

export function onnxCase(seed: number, index: number): OnnxCase {
  const r = caseRng(seed, 'onnx', index);
  const base = bases()[index % bases().length]!;
  const make = (label: string, bytes: Uint8Array): OnnxCase => ({ label: `${base.name} ${label}`, bytes });
  if (index % 8 === 0) return make('intact', base.bytes);
  if (r.int(3) === 0) return make(...byteEdit(r, base.bytes));
  return make(...messageEdit(r, base.bytes));
}

function byteEdit(r: Rng, bytes: Uint8Array): [string, Uint8Array] {
  const at = r.int(bytes.length);
  switch (r.int(3)) {
    case 0:
      return [`truncated to ${at}`, bytes.slice(0, at)];
    case 1: {
      const out = bytes.slice();
      const n = between(r, 1, 6);
      for (let i = 0; i < n; i++) out[r.int(out.length)] = r.int(256);
      return [`${n} random bytes`, out];
    }
    default:
      return [`garbage ${at} bytes`, Uint8Array.from({ length: at }, () => r.int(256))];
  }
}

function messageEdit(r: Rng, bytes: Uint8Array): [string, Uint8Array] {
  const model = fromBinary(ModelProtoSchema, bytes);
  const graph = model.graph!;
  const node = graph.node.length > 0 ? pick(r, graph.node) : undefined;
  const init = graph.initializer.length > 0 ? pick(r, graph.initializer) : undefined;
  let label: string;
  switch (r.int(12)) {
    case 0:
      if (node) node.opType = pick(r, ['Conv', 'Relu', 'Gemm', 'MatMul', 'Add', 'Softmax', 'Loop', '', 'Sigmoid']);
      label = `opType ${node?.opType}`;
      break;
    case 1:
      if (node) graph.node.splice(graph.node.indexOf(node), 1);
      label = 'node dropped';
      break;
    case 2:
      if (init) graph.initializer.splice(graph.initializer.indexOf(init), 1);
      label = 'initializer dropped';
      break;
    case 3:
      if (init) init.dims = pick(r, [[1n << 40n, 1n << 40n], [-1n], [0n], [3n], [1n, 1n, 1n, 1n], []]);
      label = `dims ${init?.dims.join('x')}`;
      break;
    case 4:
      if (init)
        init.dataType = pick(r, [
          TensorProto_DataType.DOUBLE,
          TensorProto_DataType.INT64,
          TensorProto_DataType.FLOAT16,
          TensorProto_DataType.STRING,
          999,
        ]);
      label = `dataType ${init?.dataType}`;
      break;
    case 5:
      if (init)
        init.rawData = init.rawData.slice(0, Math.max(0, init.rawData.length - pick(r, [1, 4, init.rawData.length])));
      label = 'raw data short';
      break;
    case 6:
      if (init) {
        init.dataLocation = TensorProto_DataLocation.EXTERNAL;
        init.externalData = [create(StringStringEntryProtoSchema, { key: 'location', value: '/etc/passwd' })];
        init.rawData = new Uint8Array(0);
      }
      label = 'external data';
      break;
    case 7:
      if (node && node.output[0] !== undefined) node.input[0] = node.output[0];
      label = 'node reads its own output';
      break;
    case 8:
      if (node)
        node.attribute.push(
          create(AttributeProtoSchema, {
            name: pick(r, ['transB', 'alpha', 'axis', 'approximate']),
            f: Number.NaN,
            i: 1n << 40n,
          }),
        );
      label = 'odd attribute';
      break;
    case 9: {
      const input = graph.input[0];
      const t = input?.type?.value;
      if (t?.case === 'tensorType')
        t.value.elemType = pick(r, [TensorProto_DataType.INT64, TensorProto_DataType.DOUBLE, 0]);
      label = 'graph input type';
      break;
    }
    case 10:
      if (graph.output[0]) graph.output[0].name = pick(r, ['nope', graph.input[0]?.name ?? 'x', '']);
      label = `output renamed ${graph.output[0]?.name}`;
      break;
    default:
      if (init && init.rawData.length >= 4)
        new DataView(init.rawData.buffer, init.rawData.byteOffset).setFloat32(0, Number.NaN, true);
      label = 'NaN weight';
  }
  return [label, toBinary(ModelProtoSchema, model)];
}
