// The safetensors weights format (Hugging Face), so trained weights open in other tools:
//   8 bytes  little-endian u64 N, the header length
//   N bytes  UTF-8 JSON: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] },
//                          "__metadata__": { "<key>": "<string>" } }   (metadata optional)
//   rest     tensor bytes, little-endian; offsets are relative to the start of this section.
// We pad the header with spaces so the data starts 8-byte aligned, and lay tensors out widest
// dtype first so every tensor is aligned to its element size.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from './atomic-write.js';
import { RuntimeError, fileProblem } from './errors.js';

export type SafetensorsDType = 'F64' | 'F32' | 'I32';
export type TensorData = Float64Array | Float32Array | Int32Array;

export interface NamedTensor {
  readonly data: TensorData;
  readonly shape: readonly number[];
}

export interface SafetensorsFile {
  readonly tensors: Record<string, NamedTensor>;
  readonly metadata: Record<string, string>;
}

/** Largest header we accept when reading (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function dtypeOf(data: TensorData): SafetensorsDType {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  return 'I32';
}

function elementBytes(dtype: SafetensorsDType): number {
  return dtype === 'F64' ? 8 : 4;
}

function checkHost(): void {
  // NOTE: typed arrays use the host byte order; the format is little-endian.
  if (endianness() !== 'LE') throw new RuntimeError('safetensors I/O needs a little-endian host');
}

/** Serializes tensors (names sorted, widest dtype first) and string metadata to bytes. */
export function encodeSafetensors(
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  checkHost();
  const names = Object.keys(tensors).sort((a, b) => {
    const wa = elementBytes(dtypeOf(tensors[a]!.data));
    const wb = elementBytes(dtypeOf(tensors[b]!.data));
    return wb - wa || (a < b ? -1 : a > b ? 1 : 0);
  });
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new RuntimeError(`'__metadata__' is reserved and cannot name a tensor`);
    const { data, shape } = tensors[name]!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new RuntimeError(
        `tensor '${name}': shape [${shape.join(', ')}] holds ${count} values but the data has ${data.length}`,
      );
    }
    header[name] = { dtype: dtypeOf(data), shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name]!;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file + rename). */
export function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

function bad(source: string, what: string): RuntimeError {
  return new RuntimeError(
    `${source} is not a valid safetensors file: ${what}`,
    'pass a .safetensors file written by `chainrule train` (or another safetensors writer)',
  );
}

function isNatural(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses safetensors bytes, checking every offset against the layout (never reads out of bounds). */
export function decodeSafetensors(bytes: Uint8Array, source = 'input'): SafetensorsFile {
  checkHost();
  if (bytes.length < 8) throw bad(source, `it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw bad(source, `the header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  }
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, headerEnd)).toString('utf8'));
  } catch (err) {
    throw bad(source, `the header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad(source, 'the header is not a JSON object');

  const dataBytes = bytes.length - headerEnd;
  const tensors: Record<string, NamedTensor> = {};
  const metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw bad(source, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw bad(source, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw bad(source, `tensor '${name}' is not an object`);
    const dtype: unknown = 'dtype' in entry ? entry.dtype : undefined;
    const shape: unknown = 'shape' in entry ? entry.shape : undefined;
    const offsets: unknown = 'data_offsets' in entry ? entry.data_offsets : undefined;
    if (dtype !== 'F32' && dtype !== 'F64' && dtype !== 'I32') {
      throw bad(source, `tensor '${name}' has dtype ${JSON.stringify(dtype)}; chainrule reads F32, F64 and I32`);
    }
    if (!Array.isArray(shape) || !shape.every(isNatural)) throw bad(source, `tensor '${name}' has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNatural)) {
      throw bad(source, `tensor '${name}' has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes)
      throw bad(source, `tensor '${name}' has data_offsets [${begin}, ${end}] outside the ${dataBytes} data bytes`);
    if (end - begin !== count * elementBytes(dtype)) {
      throw bad(
        source,
        `tensor '${name}' has ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${count * elementBytes(dtype)}`,
      );
    }
    // Copy so the typed array is aligned whatever the offset. NOTE: not `slice`, which on a
    // Node Buffer is a view into a possibly shared pool.
    const raw = new Uint8Array(bytes.subarray(headerEnd + begin, headerEnd + end)).buffer;
    const data =
      dtype === 'F64' ? new Float64Array(raw) : dtype === 'F32' ? new Float32Array(raw) : new Int32Array(raw);
    tensors[name] = { data, shape: shape as number[] };
    ranges.push([begin, end, name]);
  }
  // The format requires the tensors to tile the data section exactly: no overlaps, no holes.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== at) throw bad(source, `tensor '${name}' starts at byte ${begin}, expected ${at} (overlap or hole)`);
    at = end;
  }
  if (at !== dataBytes)
    throw bad(source, `${dataBytes - at} bytes after the last tensor are not described by the header`);
  return { tensors, metadata };
}

export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new RuntimeError(
      `cannot read weights file ${path}: ${fileProblem(err)}`,
      'check the path; `chainrule train --out DIR` writes DIR/weights.safetensors',
    );
  }
  return decodeSafetensors(bytes, path);
}
