// Real-size and hostile data: no stack overflow from spreading big arrays, no allocation by the
// largest label, values beyond float32 and columns matched by name reported with file and line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsv, splitDataset } from '../../runtime/datasets/index.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('CSV at scale', () => {
  it('200,000 distinct labels do not overflow the stack', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `${i % 7},${i}`);
    const ds = loadCsv(csv('many.csv', `a,label\n${rows.join('\n')}\n`));
    expect(ds.numRows).toBe(200_000);
    expect(ds.numClasses).toBe(200_000);
  });

  it('splitting 400,000 rows of one class does not overflow the stack', () => {
    const n = 400_000;
    const ds = {
      source: 'big',
      features: new Float32Array(n),
      labels: new Int32Array(n),
      numRows: n,
      numFeatures: 1,
      numClasses: 1,
      classNames: ['0'],
    };
    const split = splitDataset(ds, 0.25, 1);
    expect([split.train.numRows, split.val!.numRows]).toEqual([300_000, 100_000]);
  });

  it('a huge integer label is a class name, not an index that allocates a billion classes', () => {
    const ds = loadCsv(csv('big-label.csv', 'a,label\n1,1000000000\n2,7\n3,7\n'));
    expect(ds.classNames).toEqual(['7', '1000000000']);
    expect(Array.from(ds.labels)).toEqual([1, 0, 0]);
  });

  it('small integer labels stay class indices (2 is class 2 even when 0 and 1 are absent)', () => {
    expect(loadCsv(csv('idx.csv', 'a,label\n1,2\n')).numClasses).toBe(3);
  });

  it('a value beyond float32 is a located data error', () => {
    expect(() => loadCsv(csv('huge.csv', 'a,b,label\n1,2,x\n1,1e39,y\n'))).toThrow(
      /huge.csv:3: column 'b' is 1e39, beyond the float32 range/,
    );
  });

  it('a file of several 1 MB chunks: records and quoted cells cut by a chunk boundary load exactly', () => {
    // ~3 MB: the reader hands csv-parse 1 MB chunks, so rows (and the quoted label) straddle them.
    const n = 60_000;
    const lines = ['a,b,label'];
    for (let i = 0; i < n; i++) lines.push(`${i},${(i * 0.001).toFixed(3)},"class ${i % 3}"`);
    const ds = loadCsv(csv('chunks.csv', `${lines.join('\r\n')}\r\n`));
    expect(ds.numRows).toBe(n);
    expect(ds.features.length).toBe(2 * n);
    for (const i of [0, 1, 17_000, 34_567, n - 1]) {
      expect([ds.features[2 * i], ds.features[2 * i + 1]]).toEqual([i, Math.fround(i * 0.001)]);
      expect(ds.classNames[ds.labels[i]!]).toBe(`class ${i % 3}`);
      expect(ds.rowLines?.[i]).toBe(i + 2);
    }
  });

  it('an error past the first chunk names its line', () => {
    const rows = Array.from({ length: 80_000 }, (_, i) => (i === 70_000 ? '1,oops,0' : `${i},1.0000000000,0`));
    expect(() => loadCsv(csv('late.csv', `a,b,label\n${rows.join('\n')}\n`))).toThrow(
      /late.csv:70002: column 'b' 'oops' is not a number/,
    );
    const unclosed = `a,label\n${'1,0\n'.repeat(300_000)}2,"open\n`;
    expect(() => loadCsv(csv('unclosed.csv', unclosed))).toThrow(
      /unclosed.csv:300002: malformed CSV: Quote Not Closed/,
    );
  });

  it('a folder given as the data file is a clean error', () => {
    expect(() => loadCsv(dir)).toThrow(/cannot read .*: it is a directory/);
  });

  it('features are float32 (what the model computes in)', () => {
    expect(loadCsv(csv('f32.csv', 'a,label\n0.1,x\n')).features).toBeInstanceOf(Float32Array);
  });
});

describe('CSV columns matched by name', () => {
  const featureNames = ['a', 'b', 'c'];
  it('reorders columns to the trained feature order, with the label anywhere', () => {
    const ds = loadCsv(csv('reorder.csv', 'label,c,a,b\nx,3,1,2\n'), { featureNames, classNames: ['x'] });
    expect(Array.from(ds.features)).toEqual([1, 2, 3]);
    expect(ds.featureNames).toEqual(featureNames);
    expect(Array.from(ds.labels)).toEqual([0]);
  });

  it('a missing feature column is a located error naming it', () => {
    expect(() => loadCsv(csv('missing.csv', 'a,c,label\n1,3,x\n'), { featureNames })).toThrow(
      /missing.csv:1: no column named 'b'; the model was trained on the features a, b, c/,
    );
  });

  it('an unknown extra column is a located error naming it', () => {
    expect(() => loadCsv(csv('extra.csv', 'a,b,c,d,label\n1,2,3,4,x\n'), { featureNames })).toThrow(
      /extra.csv:1: unknown columns 'd', 'label'/,
    );
    expect(() => loadCsv(csv('extra2.csv', 'a,b,c,d,label\n1,2,3,4,x\n'), { featureNames, label: 'label' })).toThrow(
      /extra2.csv:1: unknown column 'd'/,
    );
  });
});
