import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from '../../runtime/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tensors = {
  'fc1.weight': { data: new Float32Array([1.5, -2, 3.25, 4, 5, 6]), shape: [3, 2] },
  'fc1.bias': { data: new Float32Array([0.125, -0.5]), shape: [2] },
  'optimizer/step': { data: new Float64Array([7, 1e-300]), shape: [2] },
  labels: { data: new Int32Array([3, -1, 2147483647]), shape: [3] },
};

describe('safetensors', () => {
  it('round-trips tensors of every dtype and string metadata', () => {
    const file = decodeSafetensors(encodeSafetensors(tensors, { format: 'chainrule', note: 'ünïcode ✓' }));
    expect(file.metadata).toEqual({ format: 'chainrule', note: 'ünïcode ✓' });
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = file.tensors[name]!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(Array.from(got.data)).toEqual(Array.from(t.data));
    }
  });

  it('writes the published layout (checked by parsing the bytes by hand)', () => {
    const bytes = encodeSafetensors(tensors, { format: 'chainrule' });
    // 8 bytes: little-endian unsigned 64-bit header length N.
    let n = 0;
    for (let i = 7; i >= 0; i--) n = n * 256 + bytes[i]!;
    expect((8 + n) % 8).toBe(0); // header padded so the data starts 8-byte aligned
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.startsWith('{')).toBe(true);
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    expect(headerText.slice(headerText.trimEnd().length)).toMatch(/^ *$/); // padding is spaces
    const header = JSON.parse(headerText) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: [number, number] }
    >;
    expect(header['__metadata__']).toEqual({ format: 'chainrule' });
    const data = bytes.subarray(8 + n);
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__');
    const sizes: Record<string, number> = { F32: 4, F64: 8, I32: 4 };
    let covered = 0;
    for (const [name, e] of entries) {
      const [begin, end] = e.data_offsets;
      expect(end - begin).toBe(e.shape.reduce((a, b) => a * b, 1) * sizes[e.dtype]!);
      expect(begin % sizes[e.dtype]!).toBe(0); // each tensor aligned to its element size
      covered += end - begin;
      // Decode the first element by hand (little-endian) and compare with what was written.
      const view = new DataView(data.buffer, data.byteOffset + begin, end - begin);
      const first =
        e.dtype === 'F32'
          ? view.getFloat32(0, true)
          : e.dtype === 'F64'
            ? view.getFloat64(0, true)
            : view.getInt32(0, true);
      expect(first).toBe(tensors[name as keyof typeof tensors].data[0]);
    }
    expect(covered).toBe(data.length); // the tensors tile the data section exactly
    expect(header['fc1.weight']).toEqual({
      dtype: 'F32',
      shape: [3, 2],
      data_offsets: header['fc1.weight']!.data_offsets,
    });
    expect(header['optimizer/step']!.dtype).toBe('F64');
  });

  it('reads a file assembled by hand from the specification', () => {
    const headerJson = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(headerJson.length));
    const data = Buffer.alloc(8);
    data.writeFloatLE(0.5, 0);
    data.writeFloatLE(-3, 4);
    const file = decodeSafetensors(Buffer.concat([head, Buffer.from(headerJson), data]));
    expect(Array.from(file.tensors['w']!.data)).toEqual([0.5, -3]);
    expect(file.metadata).toEqual({});
  });

  it('rejects malformed files with a reason', () => {
    const good = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(good.subarray(0, 5), 'x.safetensors')).toThrow(
      /x.safetensors is not a valid safetensors file: .*fewer than the 8-byte/,
    );
    expect(() => decodeSafetensors(good.subarray(0, 20))).toThrow(/header length \d+ runs past the end/);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 4))).toThrow(/outside the \d+ data bytes/);
    const extra = new Uint8Array(good.length + 4);
    extra.set(good);
    expect(() => decodeSafetensors(extra)).toThrow(/4 bytes after the last tensor/);
    const headerJson = JSON.stringify({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    });
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(headerJson.length));
    expect(() => decodeSafetensors(Buffer.concat([head, Buffer.from(headerJson), Buffer.alloc(8)]))).toThrow(
      /overlap or hole/,
    );
    const bf16 = JSON.stringify({ a: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } });
    head.writeBigUInt64LE(BigInt(bf16.length));
    expect(() => decodeSafetensors(Buffer.concat([head, Buffer.from(bf16), Buffer.alloc(2)]))).toThrow(/dtype "BF16"/);
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeSafetensors({ w: { data: new Float32Array(5), shape: [2, 2] } })).toThrow(
      /shape \[2, 2\] holds 4 values but the data has 5/,
    );
  });

  it('writes atomically: the old file survives a failed write and no temp file is left', () => {
    const path = join(dir, 'weights.safetensors');
    writeSafetensors(path, tensors, { v: '1' });
    const before = readFileSync(path);
    expect(() => writeSafetensors(path, { w: { data: new Float32Array(3), shape: [2] } })).toThrow();
    expect(readFileSync(path).equals(before)).toBe(true);
    writeSafetensors(path, { w: { data: new Float32Array([9]), shape: [1] } }, { v: '2' });
    expect(readSafetensors(path).metadata).toEqual({ v: '2' });
    expect(readdirSync(dir)).toEqual(['weights.safetensors']);
    // A write into a missing directory fails cleanly, creating nothing.
    expect(() => writeSafetensors(join(dir, 'missing', 'w.safetensors'), tensors)).toThrow(/ENOENT/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('says which file could not be read', () => {
    expect(() => readSafetensors(join(dir, 'nope.safetensors'))).toThrow(
      /cannot read weights file .*nope.safetensors: no such file/,
    );
    writeFileSync(join(dir, 'junk.safetensors'), 'hello world, not tensors');
    expect(() => readSafetensors(join(dir, 'junk.safetensors'))).toThrow(
      /junk.safetensors is not a valid safetensors file/,
    );
  });
});
