// Safetensors weights: real files written by `chainrule train` (xor, iris), damaged in the
// length field, the JSON header (dtype, shape, offsets, tensors, metadata `run` fields) or the
// data (NaN, Inf, subnormals). Offsets may claim gigabytes: a loader must check them against the
// file before allocating. The oracle decodes the bytes independently (below) and compares what a
// loader accepted with what the file holds.
import type { Rng } from '../../runtime/rng.js';
import { between, caseRng, pick } from './rand.js';

/** The base files a case starts from (written once per campaign by the parent). */
export const WEIGHT_BASES = ['xor', 'iris'] as const;
export type WeightBase = (typeof WEIGHT_BASES)[number];
export const WEIGHT_FILES = ['weights.safetensors', 'checkpoint.safetensors'] as const;

export interface WeightsCase {
  readonly label: string;
  readonly base: WeightBase;
  readonly file: (typeof WEIGHT_FILES)[number];
  readonly bytes: Uint8Array;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Header = Record<string, Json>;

interface Parts {
  header: Header;
  data: Uint8Array;
}

export function splitFile(bytes: Uint8Array): Parts {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Header;
  return { header, data: bytes.subarray(8 + n) };
}

function join(headerText: string, data: Uint8Array, length?: bigint): Uint8Array {
  const json = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(length ?? BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, data]));
}

export function weightsCase(
  seed: number,
  index: number,
  bases: (base: WeightBase, file: string) => Uint8Array,
): WeightsCase {
  const r = caseRng(seed, 'weights', index);
  const base = pick(r, WEIGHT_BASES);
  const file = r.int(4) === 0 ? WEIGHT_FILES[1] : WEIGHT_FILES[0];
  const original = bases(base, file);
  const make = (label: string, bytes: Uint8Array): WeightsCase => ({
    label: `${base}/${file} ${label}`,
    base,
    file,
    bytes,
  });
  const kind =
    index % 10 === 0
      ? 'intact'
      : pick(r, ['bytes', 'length', 'header', 'header', 'tensor', 'tensor', 'metadata', 'metadata', 'data']);
  switch (kind) {
    case 'intact':
      return make('intact', original);
    case 'bytes':
      return mutateBytes(r, original, make);
    case 'length': {
      const { data } = splitFile(original);
      const text = Buffer.from(original.subarray(8, original.length - data.length)).toString('utf8');
      const length = pick(r, [
        0n,
        1n,
        7n,
        BigInt(text.length - 1),
        BigInt(text.length + 1),
        2n ** 32n,
        2n ** 53n,
        2n ** 64n - 1n,
      ]);
      return make(`header length ${length}`, join(text, data, length));
    }
    case 'header':
      return make(...garbageHeader(r, original));
    case 'tensor':
      return make(...mutateTensor(r, original));
    case 'metadata':
      return make(...mutateMetadata(r, original));
    default:
      return make(...mutateData(r, original));
  }
}

function mutateBytes(
  r: Rng,
  original: Uint8Array,
  make: (label: string, bytes: Uint8Array) => WeightsCase,
): WeightsCase {
  const at = r.int(original.length);
  switch (r.int(4)) {
    case 0:
      return make(`truncated to ${at}`, original.slice(0, at));
    case 1: {
      const out = original.slice();
      const count = between(r, 1, 8);
      for (let i = 0; i < count; i++) out[r.int(out.length)] = r.int(256);
      return make(`${count} random bytes`, out);
    }
    case 2:
      return make('appended bytes', new Uint8Array(Buffer.concat([original, Buffer.from([1, 2, 3, 4])])));
    default:
      return make(`first ${Math.min(at, 8)} bytes only`, original.slice(0, Math.min(at, 8)));
  }
}

function garbageHeader(r: Rng, original: Uint8Array): [string, Uint8Array] {
  const { data } = splitFile(original);
  const text = pick(r, [
    '',
    '{',
    '[]',
    'null',
    '"x"',
    '{"a":1',
    '{"__metadata__":[]}',
    '\uFFFD{}',
    '{} garbage',
    '1e999',
  ]);
  return [`header ${JSON.stringify(text)}`, join(text, data)];
}

function tensorNames(h: Header): string[] {
  return Object.keys(h).filter((k) => k !== '__metadata__');
}

function mutateTensor(r: Rng, original: Uint8Array): [string, Uint8Array] {
  const { header, data } = splitFile(original);
  const names = tensorNames(header);
  const name = pick(r, names);
  const entry = header[name] as Record<string, Json>;
  const offsets = entry['data_offsets'] as [number, number];
  let label: string;
  let outData = data;
  switch (r.int(10)) {
    case 0:
      entry['dtype'] = pick(r, ['F16', 'BF16', 'I32', 'I64', 'f32', 'U8', null, 7]);
      label = `dtype ${JSON.stringify(entry['dtype'])}`;
      break;
    case 1: {
      const shape = entry['shape'] as number[];
      entry['shape'] = pick(r, [
        [...shape].reverse(),
        [shape.reduce((a, b) => a * b, 1)],
        [],
        [-1],
        [1.5],
        [2 ** 40, 2 ** 40],
        ['4'],
      ] as Json[]);
      label = `shape ${JSON.stringify(entry['shape'])}`;
      break;
    }
    case 2:
      entry['data_offsets'] = pick(r, [
        [0, 2 ** 40],
        [offsets[0], 2 ** 53],
        [offsets[1], offsets[0]],
        [-4, offsets[1]],
        [offsets[0] + 0.5, offsets[1]],
        [offsets[0]],
        [0, 0],
        null,
      ] as Json[]);
      label = `data_offsets ${JSON.stringify(entry['data_offsets'])}`;
      break;
    case 3:
      delete header[name];
      label = `missing ${name}`;
      break;
    case 4:
      header[`${name}_extra`] = { ...entry, data_offsets: [data.length, data.length + 4] };
      outData = new Uint8Array(Buffer.concat([data, Buffer.alloc(4)]));
      label = 'extra tensor';
      break;
    case 5:
      header[pick(r, ['__proto__', 'constructor', 'toString'])] = { ...entry };
      delete header[name];
      label = 'tensor renamed to an object key';
      break;
    case 6:
      header[name] = pick(r, [null, 1, 'x', [], {}] as Json[]);
      label = `entry ${JSON.stringify(header[name])}`;
      break;
    case 7: {
      // Two tensors swap their data ranges: a valid file with other values, which must load as written.
      const other = pick(r, names);
      const o = header[other] as Record<string, Json>;
      if (other !== name && (o['shape'] as number[]).join() === (entry['shape'] as number[]).join()) {
        const t = entry['data_offsets'];
        entry['data_offsets'] = o['data_offsets'] as Json;
        o['data_offsets'] = t as Json;
      }
      label = `swap ranges ${name} ${other}`;
      break;
    }
    case 8: {
      // An F32 tensor rewritten as F64 with the same values: valid, values must survive.
      const [b, e] = offsets;
      if (entry['dtype'] === 'F32' && names.length > 0) {
        const values = new Float32Array(data.slice(b, e).buffer);
        const wide = Buffer.from(new Float64Array(values).buffer);
        const rest = names.filter((n) => n !== name);
        const pieces: Buffer[] = [];
        let at = 0;
        for (const n of rest) {
          const en = header[n] as Record<string, Json>;
          const [nb, ne] = en['data_offsets'] as [number, number];
          pieces.push(Buffer.from(data.subarray(nb, ne)));
          en['data_offsets'] = [at, at + (ne - nb)];
          at += ne - nb;
        }
        entry['dtype'] = 'F64';
        entry['data_offsets'] = [at, at + wide.length];
        pieces.push(wide);
        outData = new Uint8Array(Buffer.concat(pieces));
      }
      label = `${name} as F64`;
      break;
    }
    default:
      entry['extra'] = { nested: [1, 2, 3] };
      label = 'unknown entry key';
  }
  return [label, join(JSON.stringify(header), outData)];
}

function mutateMetadata(r: Rng, original: Uint8Array): [string, Uint8Array] {
  const { header, data } = splitFile(original);
  const meta = (header['__metadata__'] ?? {}) as Record<string, Json>;
  header['__metadata__'] = meta;
  const run = JSON.parse(String(meta['run'] ?? '{}')) as Record<string, Json>;
  let label: string;
  if (r.int(3) === 0) {
    const key = pick(r, ['format', 'model', 'dtype', 'epoch', 'run', 'rng_state', 'history']);
    meta[key] = pick(r, ['', 'x', '-1', '1.5', '{', 'null', '[]', '1e999', 'f16', 7, null] as Json[]);
    label = `metadata ${key}=${JSON.stringify(meta[key])}`;
  } else {
    const field = pick(r, [
      'standardizer',
      'batchSize',
      'classNames',
      'featureNames',
      'seed',
      'valSplit',
      'lr',
      'epochs',
      'augment',
      'data',
      'label',
    ]);
    const values: Record<string, readonly Json[]> = {
      standardizer: [
        { mean: ['a', 'b'], std: [1, 1] },
        { mean: [0, 0, 0, 0], std: [0, 0, 0, 0] },
        5,
        'x',
        { mean: [0], std: [1] },
        { mean: [0, 0, 0, 0, 0, 0], std: [-1, 1, 1, 1, 1, 1] },
        { mean: [1e308, 0, 0, 0], std: [1e-308, 1, 1, 1] },
        { mean: null },
      ],
      batchSize: [0, -1, 1e12, 'abc', 1.5, null],
      classNames: [[], ['a'], ['a', 'a', 'b'], [1, 2, 3], 'abc', Array.from({ length: 100 }, (_, i) => `c${i}`)],
      featureNames: [[], ['a', 'a'], 5, ['x1', 'x2', 'x3']],
      seed: [-1, 1.5, 2 ** 40, 'x'],
      valSplit: [-0.1, 1, 2, 'x'],
      lr: [0, -1, 'x', null],
      epochs: [-1, 1.5, 1e12],
      augment: [-1, 1000, 'x'],
      data: ['', '../../../etc/passwd.csv', '/proc/self/mem.csv', 5],
      label: [5, '', 'nope'],
    };
    run[field] = pick(r, values[field] ?? [null]);
    meta['run'] = JSON.stringify(run);
    label = `run.${field}=${JSON.stringify(run[field]).slice(0, 40)}`;
  }
  return [label, join(JSON.stringify(header), data)];
}

function mutateData(r: Rng, original: Uint8Array): [string, Uint8Array] {
  const { header, data } = splitFile(original);
  const names = tensorNames(header);
  const name = pick(r, names);
  const entry = header[name] as Record<string, Json>;
  const [b, e] = entry['data_offsets'] as [number, number];
  const out = data.slice();
  const width = entry['dtype'] === 'F64' ? 8 : 4;
  const count = (e - b) / width;
  const i = r.int(Math.max(1, count));
  const v = pick(r, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, -0, 3e38, 1e-40]);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (width === 8) view.setFloat64(b + i * 8, v, true);
  else view.setFloat32(b + i * 4, v, true);
  const text = Buffer.from(original.subarray(8, original.length - data.length)).toString('utf8');
  return [`${name}[${i}]=${v}`, join(text, out)];
}

/**
 * The float tensors a safetensors file holds, decoded independently of chainrule's readers,
 * or undefined when the layout is not one a reader should accept.
 */
export function oracleTensors(bytes: Uint8Array): Record<string, Float64Array> | undefined {
  try {
    const { header, data } = splitFile(bytes);
    const out: Record<string, Float64Array> = {};
    for (const name of tensorNames(header)) {
      const entry = header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
      const [b, e] = entry.data_offsets;
      const view = new DataView(data.buffer, data.byteOffset + b, e - b);
      const width = entry.dtype === 'F64' ? 8 : 4;
      const values = new Float64Array((e - b) / width);
      for (let i = 0; i < values.length; i++) {
        values[i] =
          entry.dtype === 'F64'
            ? view.getFloat64(i * 8, true)
            : entry.dtype === 'F32'
              ? view.getFloat32(i * 4, true)
              : view.getInt32(i * 4, true);
      }
      out[name] = values;
    }
    return out;
  } catch {
    return undefined;
  }
}
