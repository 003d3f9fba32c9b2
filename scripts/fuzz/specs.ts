// Mutated specs: valid random specs (the property tests' generator) and the examples, broken
// structurally (text edits, truncation, deep nesting), by type (any value replaced by another
// kind), semantically (dangling and cyclic references, bad sizes, odd names, bad losses and train
// blocks) and by size (long chains, wide layers, many inputs).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Rng } from '../../runtime/rng.js';
import { specLossOps, specNodeOps } from '../../compiler/ops/index.js';
import { randomSpec } from '../../test/support/random-spec.js';
import { between, caseRng, pick, raw, stringify } from './rand.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

export interface SpecCase {
  readonly label: string;
  /** Spec text (checked with loadSpecText) … */
  readonly text?: string;
  /** … or raw file bytes (checked with loadSpecFile: BOM, invalid UTF-8). */
  readonly bytes?: Uint8Array;
  /** Longer limit for the size cases. */
  readonly timeoutMs?: number;
}

const root = new URL('../../', import.meta.url).pathname;

let bases: Obj[] | undefined;

/** Valid starting points: the examples and 200 random specs (fixed fast-check seed). */
export function baseSpecs(): Obj[] {
  if (bases !== undefined) return bases;
  const dir = join(root, 'examples');
  const examples = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Obj);
  const random = fc.sample(randomSpec({ maxWidth: 12, maxDepth: 6 }), { seed: 19, numRuns: 200 }) as unknown as Obj[];
  bases = [...examples, ...random];
  return bases;
}

const CATEGORIES = ['structural', 'type', 'semantic', 'semantic', 'size', 'valid'] as const;

export function specCase(seed: number, index: number): SpecCase {
  const r = caseRng(seed, 'spec', index);
  const specs = baseSpecs();
  const base = structuredClone(specs[index % specs.length]) as Obj;
  const category = CATEGORIES[index % CATEGORIES.length]!;
  switch (category) {
    case 'structural':
      return structural(r, base);
    case 'type':
      return typed(r, base);
    case 'semantic':
      return semantic(r, base);
    case 'size':
      return sized(r, base, index);
    case 'valid':
      return { label: 'valid', text: stringify(base, r.int(2) === 0 ? 2 : 0) };
  }
}

// ---------------------------------------------------------------------------------------------
// Structural: edits of the text.

function structural(r: Rng, spec: Obj): SpecCase {
  const text = stringify(spec);
  const at = r.int(text.length);
  const kind = between(r, 0, 10);
  switch (kind) {
    case 0:
      return { label: `truncate@${at}`, text: text.slice(0, at) };
    case 1:
      return { label: `delete@${at}`, text: text.slice(0, at) + text.slice(at + 1) };
    case 2: {
      const ch = pick(r, ['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', '\n', '/', '*', '\u0000', '\u2028']);
      return { label: `insert ${JSON.stringify(ch)}@${at}`, text: text.slice(0, at) + ch + text.slice(at) };
    }
    case 3: {
      const depth = pick(r, [64, 255, 257, 1000, 2000, 5000, 100_000]);
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const key = pick(r, ['inputs', 'nodes', 'outputs', 'train']);
      const value = key === 'inputs' ? { x: raw(nested) } : raw(nested);
      return { label: `nest ${key} ${depth}`, text: stringify({ ...spec, [key]: value }) };
    }
    case 4: {
      const depth = pick(r, [300, 3000, 50_000]);
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      return { label: `nest object ${depth}`, text: stringify({ ...spec, train: raw(nested) }) };
    }
    case 5:
      return { label: 'duplicate key', text: text.replace('"name":', '"name": "dup", "name":') };
    case 6:
      return { label: 'comments and trailing commas', text: `// spec\n${text.replace(/\n}/, ',\n}')} /* end */` };
    case 7: {
      const prefix = pick(r, ['\uFEFF', '\uFEFF\uFEFF', ' \n\t', 'garbage']);
      return { label: `prefix ${JSON.stringify(prefix)}`, text: prefix + text };
    }
    case 8: {
      const bytes = Buffer.from(text, 'utf8');
      const bad = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from([pick(r, [0xff, 0xc3, 0x80, 0xfe])]),
        bytes.subarray(at),
      ]);
      return { label: `invalid UTF-8 byte@${at}`, bytes: new Uint8Array(bad) };
    }
    case 9:
      return {
        label: 'BOM file',
        bytes: new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])),
      };
    default:
      return { label: pick(r, ['empty', 'null', 'array', 'number']), text: pick(r, ['', 'null', '[]', '42']) };
  }
}

// ---------------------------------------------------------------------------------------------
// Type: some value replaced by a value of another kind.

/** Every JSON pointer into the value, with its parent and key. */
function paths(value: Json, at = ''): { pointer: string; parent: Obj | Json[]; key: string | number }[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [{ pointer: `${at}/${k}`, parent: value, key: k }, ...paths(v, `${at}/${k}`)]);
}

const ODD_VALUES: readonly Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0.5,
  1e9,
  2 ** 31,
  2 ** 53 + 2,
  raw('1e999'),
  raw('-1e999'),
  raw('-0'),
  '',
  'x',
  'NaN',
  'Infinity',
  '__proto__',
  'constructor',
  'x'.repeat(10_000),
  [],
  [null],
  [1, 2, 3],
  {},
  { __proto__: 1 } as unknown as Json,
  { a: { b: {} } },
];

function typed(r: Rng, spec: Obj): SpecCase {
  const all = paths(spec);
  const n = between(r, 1, 3);
  const labels: string[] = [];
  for (let i = 0; i < n && all.length > 0; i++) {
    const p = pick(r, all);
    const v = pick(r, ODD_VALUES);
    (p.parent as Record<string | number, Json>)[p.key] = v;
    labels.push(`${p.pointer}=${typeof v === 'string' ? JSON.stringify(v.slice(0, 16)) : JSON.stringify(v)}`);
  }
  return { label: `type ${labels.join(' ')}`, text: stringify(spec) };
}

// ---------------------------------------------------------------------------------------------
// Semantic: well-formed JSON that says something wrong (or odd but valid).

function nodes(spec: Obj): Obj[] {
  return Array.isArray(spec['nodes']) ? (spec['nodes'] as Obj[]) : [];
}

function names(spec: Obj): string[] {
  const inputs = typeof spec['inputs'] === 'object' && spec['inputs'] !== null ? Object.keys(spec['inputs']) : [];
  return [...inputs, ...nodes(spec).map((n) => String(n['name']))];
}

const ODD_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'function',
  'B',
  'arena',
  'params',
  'forward',
  'x_',
  '_x',
  '$',
  'é',
  'a-b',
  'a b',
  '1a',
  '',
  'n'.repeat(5000),
  'toString',
  'undefined',
  'NaN',
];

/** Renames every reference to `from` (inputs, outputs, loss) as well as the definition. */
function rename(spec: Obj, from: string, to: string): void {
  const fix = (v: Json): Json => (v === from ? to : v);
  const inputs = spec['inputs'];
  if (typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs) && Object.hasOwn(inputs, from)) {
    const entries = Object.entries(inputs).map(([k, v]): [string, Json] => [k === from ? to : k, v]);
    spec['inputs'] = Object.fromEntries(entries);
  }
  for (const n of nodes(spec)) {
    n['name'] = fix(n['name'] ?? null);
    n['input'] = fix(n['input'] ?? null);
    if (n['input'] === null) delete n['input'];
    if (Array.isArray(n['inputs'])) n['inputs'] = n['inputs'].map(fix);
  }
  if (Array.isArray(spec['outputs'])) spec['outputs'] = spec['outputs'].map(fix);
  const loss = spec['loss'];
  if (typeof loss === 'object' && loss !== null && !Array.isArray(loss)) loss['input'] = fix(loss['input'] ?? null);
}

function semantic(r: Rng, spec: Obj): SpecCase {
  const ns = nodes(spec);
  const node = ns.length > 0 ? pick(r, ns) : undefined;
  const kind = between(r, 0, 15);
  const label = (s: string): SpecCase => ({ label: `semantic ${s}`, text: stringify(spec) });
  switch (kind) {
    case 0: {
      if (node === undefined) return label('no nodes');
      const target = pick(r, ['nope', `${String(node['name'])}_`, String(node['name']).toUpperCase()]);
      if (Array.isArray(node['inputs'])) node['inputs'][0] = target;
      else node['input'] = target;
      return label(`dangling ${target}`);
    }
    case 1: {
      if (ns.length === 0) return label('no nodes');
      const k = r.int(ns.length);
      const later = ns[between(r, k, ns.length - 1)]!;
      const n = ns[k]!;
      if (Array.isArray(n['inputs'])) n['inputs'][0] = later['name'] ?? null;
      else n['input'] = later['name'] ?? null;
      return label(`cycle ${String(n['name'])}→${String(later['name'])}`);
    }
    case 2: {
      if (ns.length < 2) return label('one node');
      ns[1]!['name'] = ns[0]!['name'] ?? null;
      return label('duplicate node name');
    }
    case 3: {
      if (node === undefined) return label('no nodes');
      const op = pick(r, [...specNodeOps, ...specLossOps, 'conv2d', 'Linear', '']);
      node['op'] = op;
      return label(`op ${op}`);
    }
    case 4: {
      const linear = ns.filter((n) => n['op'] === 'linear');
      if (linear.length === 0) return label('no linear');
      const units = pick(r, [0, -3, 2.5, 1, 4096, 100_000, 1e9, 2 ** 31, raw('1e999')] as Json[]);
      pick(r, linear)['units'] = units;
      return label(`units ${JSON.stringify(units)}`);
    }
    case 5: {
      const inputs = spec['inputs'] as Obj;
      const key = Object.keys(inputs)[0];
      if (key === undefined) return label('no inputs');
      const shape = pick(r, [
        [null],
        [],
        [null, 0],
        [null, -1],
        [3, 2],
        [1, 2],
        [null, 2, 3],
        [null, 1e9],
        [null, 1.5],
        [null, null],
      ] as Json[]);
      inputs[key] = shape;
      return label(`input shape ${JSON.stringify(shape)}`);
    }
    case 6: {
      const loss = spec['loss'];
      if (typeof loss !== 'object' || loss === null || Array.isArray(loss)) return label('no loss');
      const what = between(r, 0, 4);
      if (what === 0) loss['op'] = pick(r, [...specLossOps, 'hinge']);
      else if (what === 1) delete loss['target'];
      else if (what === 2) loss['input'] = Object.keys(spec['inputs'] as Obj)[0] ?? null;
      else if (what === 3) spec['targets'] = { y: pick(r, [[null], [null, 1], [null, 7], [2], [null, 0]] as Json[]) };
      else loss['input'] = ns[0]?.['name'] ?? null;
      return label(`loss edit ${what}`);
    }
    case 7: {
      const outputs = pick(r, [
        [],
        ['nope'],
        [...names(spec).slice(-1), ...names(spec).slice(-1)],
        names(spec).slice(0, 1),
        names(spec),
      ] as Json[]);
      spec['outputs'] = outputs;
      return label(`outputs ${JSON.stringify(outputs).slice(0, 40)}`);
    }
    case 8: {
      const train: Obj = { optimizer: pick(r, ['sgd', 'adam', 'rmsprop', 'SGD']) };
      const key = pick(r, [
        'lr',
        'seed',
        'momentum',
        'beta1',
        'beta2',
        'eps',
        'epochs',
        'batchSize',
        'valSplit',
        'augment',
      ]);
      train[key] = pick(r, [0, -1, 1e30, raw('1e999'), 'fast', 2 ** 40, 1.5, 0.5, 1, null] as Json[]);
      spec['train'] = train;
      return label(`train ${JSON.stringify(train)}`);
    }
    case 9:
    case 10: {
      const all = names(spec);
      if (all.length === 0) return label('no names');
      const from = pick(r, all);
      const to = pick(r, ODD_NAMES);
      rename(spec, from, to);
      return label(`rename ${from}→${JSON.stringify(to.slice(0, 20))}`);
    }
    case 11: {
      // Names that may collide once sanitized into identifiers: x, _x, x_ side by side.
      const inputs = spec['inputs'] as Obj;
      const first = Object.keys(inputs)[0];
      if (first === undefined || ns.length === 0) return label('no inputs');
      const twin = pick(r, [`_${first}`, `${first}_`, `${first}__`, `_${first}_`]);
      inputs[twin] = inputs[first] ?? null;
      ns.unshift({ name: `${first}_sum`, op: 'add', inputs: [first, twin] });
      for (const n of ns.slice(1)) if (n['input'] === first) n['input'] = `${first}_sum`;
      return label(`twin input ${twin}`);
    }
    case 12: {
      delete spec[pick(r, ['name', 'inputs', 'nodes', 'outputs', 'loss', 'targets', 'train'])];
      return label('missing key');
    }
    case 13: {
      if (node === undefined) return label('no nodes');
      const key = pick(r, ['unit', 'alpha', 'axis', 'bias', 'activation', '__proto__', 'label']);
      node[key] = pick(r, [1, 'x', true, null, 0.2] as Json[]);
      return label(`node key ${key}`);
    }
    case 14: {
      spec['name'] = pick(r, ['', '__proto__', 'a/b', '../x', 'm'.repeat(300), 'con', 'é']);
      return label(`spec name ${JSON.stringify(spec['name']).slice(0, 20)}`);
    }
    default: {
      if (node === undefined) return label('no nodes');
      node['alpha'] = pick(r, [0, -1, 1e9, raw('1e999'), 'x', 0.3] as Json[]);
      return label(`alpha ${JSON.stringify(node['alpha'])}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Size: long chains, wide layers, many inputs.

function chain(length: number, everyLinear: number, act: string, units: number): Obj {
  const nodeList: Obj[] = [];
  let prev = 'x';
  for (let i = 0; i < length; i++) {
    const name = `n${i}`;
    nodeList.push(i % everyLinear === 0 ? { name, op: 'linear', input: prev, units } : { name, op: act, input: prev });
    prev = name;
  }
  return {
    name: 'chain',
    inputs: { x: [null, units] },
    targets: { y: [null, units] },
    nodes: nodeList,
    outputs: [prev],
    loss: { op: 'mse', input: prev, target: 'y' },
    train: { optimizer: 'sgd', lr: 0.01, seed: 1 },
  };
}

function sized(r: Rng, spec: Obj, index: number): SpecCase {
  const kind = between(r, 0, 5);
  switch (kind) {
    case 0: {
      // Mostly modest chains; every 50th size case is a long one (compile time must scale).
      const length = index % 50 === 4 ? pick(r, [1000, 2000]) : between(r, 20, 300);
      const act = pick(r, ['tanh', 'relu', 'sigmoid', 'gelu']);
      return {
        label: `chain ${length} (${act})`,
        text: stringify(chain(length, between(r, 1, 3), act, between(r, 1, 4)), 0),
        timeoutMs: 120_000,
      };
    }
    case 1: {
      const units = pick(r, [2048, 4096, 100_000, 1e7]);
      const linear = nodes(spec).find((n) => n['op'] === 'linear');
      if (linear !== undefined) linear['units'] = units;
      return { label: `wide ${units}`, text: stringify(spec), timeoutMs: 60_000 };
    }
    case 2: {
      const count = pick(r, [50, 500, 3000]);
      const inputs = Object.fromEntries(Array.from({ length: count }, (_, i) => [`x${i}`, [null, 2]]));
      const s: Obj = {
        name: 'many_inputs',
        inputs,
        nodes: [
          { name: 'sum', op: 'add', inputs: Object.keys(inputs) },
          { name: 'out', op: 'linear', input: 'sum', units: 1 },
        ],
        outputs: ['out'],
      };
      return { label: `add of ${count} inputs`, text: stringify(s, 0), timeoutMs: 60_000 };
    }
    case 3: {
      const count = pick(r, [100, 1000]);
      const s = {
        ...spec,
        nodes: [
          ...nodes(spec),
          ...Array.from({ length: count }, (_, i) => ({ name: `dead${i}`, op: 'relu', input: names(spec)[0] ?? 'x' })),
        ],
      };
      return { label: `${count} unused nodes`, text: stringify(s, 0), timeoutMs: 60_000 };
    }
    case 4: {
      const features = pick(r, [10_000, 1_000_000, 1e9]);
      const inputs = spec['inputs'] as Obj;
      const key = Object.keys(inputs)[0];
      if (key !== undefined) inputs[key] = [null, features];
      return { label: `input width ${features}`, text: stringify(spec), timeoutMs: 60_000 };
    }
    default: {
      const filler = 'x'.repeat(pick(r, [1_000, 1_000_000]));
      return { label: `long string ${filler.length}`, text: stringify({ ...spec, name: filler }), timeoutMs: 60_000 };
    }
  }
}
