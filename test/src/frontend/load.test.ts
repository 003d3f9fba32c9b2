// The loader: positions, comments, every problem collected, never a throw.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpecFile, loadSpecText } from '../../../src/frontend/load.js';
import { closest, editDistance } from '../../../src/frontend/suggest.js';

const examplesDir = new URL('../../../examples/', import.meta.url);
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
const mnistText = readFileSync(new URL('mnist_mlp.json', examplesDir), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'chainrule-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadSpecFile on the examples', () => {
  it.each(examples)('%s loads cleanly, as the very object in the file', (file) => {
    const path = new URL(file, examplesDir).pathname;
    const result = loadSpecFile(path);
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    expect(result.warnings).toEqual([]);
    expect(result.spec).toStrictEqual(JSON.parse(readFileSync(path, 'utf8')));
    expect(result.graph.name).toBe(result.spec.name);
  });
});

describe('positions', () => {
  it('maps JSON pointers to 1-based line:col of values and keys', () => {
    const result = loadSpecText(mnistText, 'm.json');
    if (!result.ok) throw new Error('mnist must load');
    const lines = mnistText.split('\n');
    const line = lines.findIndex((l) => l.includes('"name": "fc1"')) + 1;
    const text = lines[line - 1] ?? '';
    expect(line).toBeGreaterThan(1);
    expect(result.locations.at('/nodes/0/units')).toEqual({ file: 'm.json', line, col: text.indexOf('128') + 1 });
    expect(result.locations.at('/nodes/0')).toEqual({ file: 'm.json', line, col: text.indexOf('{') + 1 });
    expect(result.locations.at('/nodes/9')).toBeUndefined();
  });

  it('allows // and /* */ comments and keeps positions right after them', () => {
    const text = mnistText
      .replace('"nodes": [', '/* the layers */ "nodes": [ // one per line\n')
      .replace('"units": 10', '"units": 0');
    const result = loadSpecText(text, 'c.json');
    expect(result.ok).toBe(false);
    const err = result.ok ? undefined : result.errors[0];
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('"units": 0')) + 1;
    expect(err?.loc).toEqual({ file: 'c.json', line, col: (lines[line - 1] ?? '').indexOf('0 }') + 1 });
  });

  it('strips a UTF-8 byte-order mark from files', () => {
    const path = join(tmp, 'bom.json');
    writeFileSync(path, `\uFEFF${mnistText}`);
    expect(loadSpecFile(path).ok).toBe(true);
  });
});

describe('collecting problems', () => {
  it('reports every independent problem at once, in file order', () => {
    const text = mnistText
      .replace('"op": "relu"', '"op": "relu6"')
      .replace('"units": 10', '"units": -1')
      .replace('"outputs": ["probs"]', '"outputs": ["prob"]')
      .replace('"lr": 0.02', '"lr": "fast"');
    const result = loadSpecText(text, 'm.json');
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => [e.message.split(' ').slice(0, 2).join(' '), e.node])).toEqual([
      ['unknown op', 'h1'],
      ["'units' must", 'fc2'],
      ["output 'prob'", undefined],
      ["'lr' must", undefined],
    ]);
    const lines = errors.map((e) => e.loc?.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('reports all syntax errors on different lines, once per line', () => {
    const text =
      '{\n  "name": "m",\n  "inputs": { "x": [null, 2], },\n  "nodes": [ { "name": "a" "op": "relu", "input": "x" } ],\n  "outputs": ["a"]\n}\n';
    const result = loadSpecText(text, 's.json');
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => [e.loc?.line, e.message])).toEqual([
      [3, 'trailing comma'],
      [4, "expected ',' before '\"op\"'"],
    ]);
  });

  it.each([
    ['a top-level array', '[1, 2]', 'a spec must be a JSON object, found an array'],
    ['NaN', '{ "name": NaN }', 'NaN is not a JSON number'],
    ['Python literals', '{ "name": True }', "unexpected 'True'"],
    ['an unterminated string', '{ "name": "m }', 'unterminated string'],
    ['trailing garbage', '{ "name": "m" } x', "unexpected 'x'"],
  ])('rejects %s with a located message', (_what, text, message) => {
    const result = loadSpecText(text, 'x.json');
    expect(result.ok).toBe(false);
    const first = result.ok ? undefined : result.errors[0];
    expect(first?.message).toContain(message);
    expect(first?.loc?.file).toBe('x.json');
  });

  it('treats "__proto__" as an ordinary unknown key', () => {
    const text = mnistText.replace('"name": "mnist_mlp",', '"name": "mnist_mlp", "__proto__": { "polluted": true },');
    const result = loadSpecText(text, 'p.json');
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual(["unknown top-level key '__proto__'"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reserves names starting with __ (they would reach object internals)', () => {
    const text = mnistText.replaceAll('"x"', '"__proto__"');
    const result = loadSpecText(text, 'p.json');
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => e.message)).toEqual(["input name '__proto__' is not a valid identifier"]);
    expect(errors[0]?.hint).toContain('reserved');
  });

  it('reports an unreadable path as a diagnostic instead of throwing', () => {
    const missing = loadSpecFile(join(tmp, 'nope.json'));
    expect(missing.ok ? '' : missing.errors[0]?.message).toContain('no such file');
    const dir = loadSpecFile(tmp);
    expect(dir.ok ? '' : dir.errors[0]?.message).toContain('is a directory');
  });

  it('builds the graph with the requested dtype and batch', () => {
    const result = loadSpecText(mnistText, 'm.json', { dtype: 'f64', batch: 32 });
    if (!result.ok) throw new Error('mnist must load');
    const x = result.graph.nodes.find((n) => n.name === 'x');
    expect(x?.type).toEqual({ shape: [32, 784], dtype: 'f64' });
  });
});

describe('suggestions', () => {
  it('measures edits, counting a swap of neighbours as one', () => {
    expect(editDistance('linear', 'linear')).toBe(0);
    expect(editDistance('lienar', 'linear')).toBe(1);
    expect(editDistance('relu', 'relux')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only plausible typos, deterministically', () => {
    expect(closest('unit', ['name', 'units', 'input'])).toBe('units');
    expect(closest('fc3', ['fc1', 'fc2'])).toBe('fc1');
    expect(closest('zzz', ['relu', 'tanh'])).toBeUndefined();
    expect(closest('SGD', ['sgd', 'adam'])).toBe('sgd');
  });
});
