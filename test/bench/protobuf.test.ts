// The ONNX writer's wire format, checked against hand-encoded bytes from the protobuf encoding rules.
import { describe, expect, it } from 'vitest';
import { float32LittleEndian, intField, messageField, stringField, varint } from '../../bench/onnx/protobuf.js';

describe('protobuf writer', () => {
  it('encodes varints least-significant group first', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(1)]).toEqual([1]);
    expect([...varint(127)]).toEqual([0x7f]);
    expect([...varint(128)]).toEqual([0x80, 0x01]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    // Beyond 32 bits (int64 dims), where bit operators would overflow.
    expect([...varint(2 ** 35)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  });

  it('rejects what it cannot encode', () => {
    expect(() => varint(-1)).toThrow(/non-negative/);
    expect(() => varint(1.5)).toThrow(/non-negative safe integer/);
  });

  it('tags fields as (number << 3) | wire type', () => {
    expect([...intField(1, 150)]).toEqual([0x08, 0x96, 0x01]);
    expect([...stringField(2, 'ab')]).toEqual([0x12, 0x02, 0x61, 0x62]);
    expect([...messageField(3, [intField(1, 150)])]).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    // Field 20 needs a two-byte tag: (20 << 3) | 0 = 160.
    expect([...intField(20, 2)]).toEqual([0xa0, 0x01, 0x02]);
  });

  it('writes float32 raw data little-endian', () => {
    expect([...float32LittleEndian(Float32Array.from([1, -2]))]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });
});
