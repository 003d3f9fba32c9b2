// Deep nesting and byte-order marks: located errors, never a stack overflow.
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../../src/frontend/json-source.js';
import { loadSpecText } from '../../../src/frontend/load.js';

function nested(depth: number): string {
  return `{"name":"m","inputs":{"x":${'['.repeat(depth)}1${']'.repeat(depth)}},"nodes":[],"outputs":[]}`;
}

describe('nesting depth', () => {
  it.each([MAX_DEPTH + 1, 5_000, 100_000])('%d levels: a located "nested too deeply" error', (depth) => {
    const r = loadSpecText(nested(depth), 'deep.json');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toMatch(/nested too deeply/);
    // The first bracket past the limit: after `{"name":"m","inputs":{"x":` and MAX_DEPTH - 2 more.
    expect(r.errors[0]!.loc).toEqual({ file: 'deep.json', line: 1, col: 27 + MAX_DEPTH - 2 });
  });

  it('just under the limit is parsed (and then checked as usual)', () => {
    const r = loadSpecText(nested(MAX_DEPTH - 2), 'ok.json');
    if (!r.ok) expect(r.errors.map((e) => e.message).join('\n')).not.toMatch(/nested too deeply/);
  });
});

describe('byte-order mark', () => {
  it('loadSpecText accepts a BOM as loadSpecFile does', () => {
    const text =
      '{ "name": "m", "inputs": { "x": [null, 2] }, "nodes": [{ "name": "h", "op": "relu", "input": "x" }], "outputs": ["h"] }';
    const plain = loadSpecText(text, 'm.json');
    const bom = loadSpecText(`\uFEFF${text}`, 'm.json');
    expect(plain.ok).toBe(true);
    expect(bom.ok).toBe(true);
  });
});
