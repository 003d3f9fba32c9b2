// The published JSON Schema: every example validates, structurally bad specs are rejected, and
// its enums agree with the loader's vocabulary.
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { chainruleSchemaText } from '../../../scripts/schema.js';
import { lossOps, namePattern, opTable, optimizers, specOps } from '../../../src/frontend/vocabulary.js';

const schemaText = readFileSync(new URL('../../../schema/chainrule.schema.json', import.meta.url), 'utf8');
const schema: unknown = JSON.parse(schemaText);
// NOTE: a shape is an open tuple (first dim may be null, then any number of sizes), which ajv's
// strictTuples forbids, and the per-op if/then rules require keys declared on the node schema
// itself, which strictRequired forbids; both are valid JSON Schema. The rest is checked strictly.
const ajv = new Ajv({ strict: true, strictTuples: false, strictRequired: false, allErrors: true });
// Editors (VS Code) show these next to completions; ajv only needs to know the word.
ajv.addKeyword('enumDescriptions');
const validate = ajv.compile(schema as object);

const exampleDir = new URL('../../../examples/', import.meta.url);
const examples = readdirSync(exampleDir).filter((f) => f.endsWith('.json'));
const mnist = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('mnist_mlp.json', exampleDir), 'utf8')) as Record<string, unknown>;

describe('chainrule.schema.json', () => {
  it('is what scripts/schema.ts generates from the op registry (run `npm run schema` after changing ops)', () => {
    expect(schemaText === chainruleSchemaText(), 'schema/chainrule.schema.json is stale: run `npm run schema`').toBe(
      true,
    );
  });

  it.each(examples)('validates examples/%s', (file) => {
    const spec: unknown = JSON.parse(readFileSync(new URL(file, exampleDir), 'utf8'));
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
    expect((spec as { $schema?: string }).$schema).toBe('../schema/chainrule.schema.json');
  });

  const node = (patch: Record<string, unknown>): Record<string, unknown> => {
    const spec = mnist();
    const nodes = spec.nodes as Record<string, unknown>[];
    nodes[1] = { ...nodes[1], ...patch };
    return spec;
  };
  const bad: [string, () => Record<string, unknown>][] = [
    ['an unknown top-level key', () => ({ ...mnist(), output: ['probs'] })],
    [
      'a missing name',
      () => {
        const s = mnist();
        delete s.name;
        return s;
      },
    ],
    ['an unknown op', () => node({ op: 'relux' })],
    ['an unknown node key', () => node({ unit: 3 })],
    ['units on relu', () => node({ units: 3 })],
    [
      'units = 0 on linear',
      () => {
        const s = mnist();
        (s.nodes as Record<string, unknown>[])[0] = { name: 'fc1', op: 'linear', input: 'x', units: 0 };
        return s;
      },
    ],
    [
      'units as a string',
      () => {
        const s = mnist();
        (s.nodes as Record<string, unknown>[])[0] = { name: 'fc1', op: 'linear', input: 'x', units: '128' };
        return s;
      },
    ],
    ['inputs on a unary op', () => node({ input: undefined, inputs: ['fc1'] })],
    ['add with one operand', () => node({ op: 'add', input: undefined, inputs: ['fc1'] })],
    ['a null inside a shape', () => ({ ...mnist(), inputs: { x: [784, null] } })],
    ['an unknown loss', () => ({ ...mnist(), loss: { op: 'nll', input: 'probs', target: 'y' } })],
    ['an unknown optimizer', () => ({ ...mnist(), train: { optimizer: 'rmsprop', lr: 0.1 } })],
    ['lr = 0', () => ({ ...mnist(), train: { optimizer: 'sgd', lr: 0 } })],
    ['momentum = 1', () => ({ ...mnist(), train: { optimizer: 'sgd', lr: 0.1, momentum: 1 } })],
    ['momentum on adam', () => ({ ...mnist(), train: { optimizer: 'adam', lr: 0.1, momentum: 0.9 } })],
    ['an invalid name', () => node({ name: 'h-1' })],
    ['epochs = 0', () => ({ ...mnist(), train: { optimizer: 'sgd', lr: 0.1, epochs: 0 } })],
    ['a fractional batchSize', () => ({ ...mnist(), train: { optimizer: 'adam', lr: 0.1, batchSize: 1.5 } })],
    ['valSplit = 1', () => ({ ...mnist(), train: { optimizer: 'sgd', lr: 0.1, valSplit: 1 } })],
    ['augment = -1', () => ({ ...mnist(), train: { optimizer: 'sgd', lr: 0.1, augment: -1 } })],
  ];
  it.each(bad)('rejects %s', (_what, make) => {
    const spec = JSON.parse(JSON.stringify(make())) as unknown; // drops undefined keys
    expect(validate(spec)).toBe(false);
  });

  it('lists exactly the ops, losses and optimizers the loader knows', () => {
    const s = schema as {
      definitions: Record<string, { properties: Record<string, { enum?: string[]; enumDescriptions?: string[] }> }>;
    };
    expect(s.definitions.node?.properties.op?.enum).toEqual(specOps);
    expect(s.definitions.node?.properties.op?.enumDescriptions).toEqual(specOps.map((o) => opTable[o].summary));
    expect(s.definitions.loss?.properties.op?.enum).toEqual(lossOps);
    expect(s.definitions.train?.properties.optimizer?.enum).toEqual(optimizers);
    expect((schema as { definitions: { name: { pattern: string } } }).definitions.name.pattern).toBe(
      namePattern.source,
    );
  });

  it('describes every property, so editors can explain each key', () => {
    const missing: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (typeof v !== 'object' || v === null) return;
      const props = (v as { properties?: Record<string, unknown> }).properties;
      if (props !== undefined && !path.includes('allOf')) {
        for (const [k, p] of Object.entries(props)) {
          if (typeof p === 'object' && p !== null && !('description' in p)) missing.push(`${path}/${k}`);
        }
      }
      for (const [k, child] of Object.entries(v)) walk(child, `${path}/${k}`);
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });
});
