// A minimal protocol-buffers writer: enough wire format (varint, length-delimited) to serialize
// the few ONNX messages the benchmark needs. A message is built as a list of encoded fields;
// nested messages are just length-delimited bytes.

/** Wire types from the protobuf encoding spec. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;

export type Field = Uint8Array;

/** Base-128 varint, least significant group first. Non-negative safe integers only (all ONNX needs here). */
export function varint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`protobuf varint: ${value} is not a non-negative safe integer`);
  }
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

function tag(fieldNumber: number, wireType: number): Uint8Array {
  return varint(fieldNumber * 8 + wireType);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An int32/int64/enum field. */
export function intField(fieldNumber: number, value: number): Field {
  return concat([tag(fieldNumber, VARINT), varint(value)]);
}

export function bytesField(fieldNumber: number, bytes: Uint8Array): Field {
  return concat([tag(fieldNumber, LENGTH_DELIMITED), varint(bytes.length), bytes]);
}

export function stringField(fieldNumber: number, text: string): Field {
  return bytesField(fieldNumber, new TextEncoder().encode(text));
}

/** A nested message: its fields, serialized and length-delimited. */
export function messageField(fieldNumber: number, fields: readonly Field[]): Field {
  return bytesField(fieldNumber, concat(fields));
}

/** The bytes of a top-level message. */
export function message(fields: readonly Field[]): Uint8Array {
  return concat(fields);
}

/** Float32 values as fixed-width little-endian bytes (ONNX `raw_data`), whatever the host byte order. */
export function float32LittleEndian(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}
