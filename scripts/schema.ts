// Generates schema/chainrule.schema.json, the JSON Schema editors use to complete and check
// specs. Run `npm run schema` after changing the spec vocabulary; test/src/frontend/schema.test.ts
// fails when the committed file differs from what this script generates.
//
// What is not here comes from the op registry (compiler/ops/, each op's `spec` trait): the node
// and loss op enums with their summaries, which ops take `input` or `inputs`, and which
// attributes each op accepts or requires. This file is the generator's input for the rest:
// the fixed top-level keys and, per spec attribute key (compiler/frontend/graph-spec.ts
// `SpecAttrs`), its JSON Schema and description.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SpecAttrName, SpecAttrs, SpecOp } from '../compiler/frontend/graph-spec.js';
import { labelKeys } from '../compiler/frontend/labels.js';
import { lossVocabulary, nodeVocabulary } from '../compiler/ops/index.js';
import { DEFAULT_LEAKY_ALPHA } from '../compiler/ops/leaky-relu.js';
import {
  lossOps,
  MAX_BATCH,
  MAX_EPOCHS,
  MAX_SHIFT,
  namePattern,
  type OptimizerName,
  optimizers,
  RECIPE_DEFAULTS,
  specOps,
} from '../src/frontend/vocabulary.js';

type Json = { readonly [key: string]: unknown };

/**
 * Per spec attribute key: its JSON Schema, what it means (the owning ops are prefixed), and a
 * valid example value (not written to the schema: test/src/frontend/spec-ops.test.ts builds a
 * spec node of every op with it).
 */
export const attributes: {
  readonly [K in SpecAttrName]: {
    readonly schema: Json;
    readonly description: string;
    readonly example: Required<SpecAttrs>[K];
  };
} = {
  units: {
    schema: { type: 'integer', minimum: 1 },
    description: 'number of output features (W is [in, units]).',
    example: 3,
  },
  bias: { schema: { type: 'boolean', default: true }, description: 'false drops the bias b.', example: false },
  alpha: {
    schema: { type: 'number', default: DEFAULT_LEAKY_ALPHA },
    description: 'slope for negative inputs.',
    example: 0.2,
  },
};

const optimizerDescriptions: { readonly [K in OptimizerName]: string } = {
  sgd: 'Stochastic gradient descent, with optional momentum.',
  adam: 'Adam with bias correction.',
};

/** `{ const: op }` for one op, `{ enum: [...] }` for several. */
function opIs(list: readonly string[]): Json {
  return list.length === 1 ? { const: list[0] } : { enum: [...list] };
}

/**
 * A JSON Schema conditional `{ if, then?, else? }`, keys in that order. Built from entries: an
 * object literal with a `then` key would be a thenable to JS (Biome's noThenProperty).
 */
function when(condition: Json, thenPart: Json | undefined, elsePart?: Json): Json {
  const entries: [string, Json][] = [['if', condition]];
  if (thenPart !== undefined) entries.push(['then', thenPart]);
  if (elsePart !== undefined) entries.push(['else', elsePart]);
  return Object.fromEntries(entries);
}

const ifOp = (list: readonly string[]): Json => ({ required: ['op'], properties: { op: opIs(list) } });

/** The `label` key: one name for the output, or names per tensor (the keys come from the ops' parameters). */
function labelSchema(): Json {
  const text = { type: 'string', minLength: 1, maxLength: 24, pattern: '^[^\\u0000-\\u001f\\u007f]*$' };
  const keys = [...new Set(specOps.flatMap((op) => labelKeys(op)))];
  const owners = (key: string): string =>
    key === 'output'
      ? "the node's output"
      : `${specOps.filter((op) => labelKeys(op).includes(key)).join(', ')}: its ${key}`;
  return {
    description:
      'A lecture name used by explain and the diagrams instead of the spec name: "H" names the output; { "weight": "W^(1)", "bias": "b^(1)" } names tensors one by one. ^(…) and _(…) print as super- and subscripts (W⁽¹⁾).',
    anyOf: [
      { ...text, description: "The name of the node's output." },
      {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: Object.fromEntries(keys.map((k) => [k, { ...text, description: `The name of ${owners(k)}.` }])),
      },
    ],
  };
}

function nodeSchema(): Json {
  const arity = (a: 'unary' | 'variadic'): string[] => specOps.filter((op) => nodeVocabulary(op).arity === a);
  const [unary, variadic] = [arity('unary'), arity('variadic')];
  const attrNames = Object.keys(attributes) as SpecAttrName[];
  const owners = (attr: SpecAttrName): SpecOp[] => specOps.filter((op) => nodeVocabulary(op).attrs.includes(attr));
  // One if/then/else per set of ops sharing attributes: required keys in `then`, forbidden elsewhere.
  const groups = new Map<string, { ops: SpecOp[]; attrs: SpecAttrName[] }>();
  for (const attr of attrNames) {
    const ops = owners(attr);
    const group = groups.get(ops.join(',')) ?? { ops, attrs: [] };
    groups.set(ops.join(','), { ops, attrs: [...group.attrs, attr] });
  }
  const attrRules = [...groups.values()].map(({ ops, attrs }): Json => {
    const required = attrs.filter((a) => ops.every((op) => nodeVocabulary(op).required?.includes(a)));
    const forbidden = { properties: Object.fromEntries(attrs.map((a) => [a, false])) };
    return when(ifOp(ops), required.length > 0 ? { required } : undefined, forbidden);
  });
  return {
    type: 'object',
    description: 'One operation of the graph.',
    required: ['name', 'op'],
    additionalProperties: false,
    properties: {
      name: {
        $ref: '#/definitions/name',
        description:
          'Unique name of the node and of its output tensor (parameters are named <name>.weight and <name>.bias).',
      },
      op: {
        type: 'string',
        description: 'The operation.',
        enum: [...specOps],
        enumDescriptions: specOps.map((op) => nodeVocabulary(op).summary),
      },
      input: {
        $ref: '#/definitions/name',
        description: `The single operand: an input or another node. Used by every op except ${variadic.join(', ')}.`,
      },
      inputs: {
        type: 'array',
        description: `Several operands (${variadic.join(', ')}): inputs or nodes of the same shape.`,
        items: { $ref: '#/definitions/name' },
      },
      label: labelSchema(),
      ...Object.fromEntries(
        attrNames.map((a) => [
          a,
          { ...attributes[a].schema, description: `${owners(a).join(', ')}: ${attributes[a].description}` },
        ]),
      ),
    },
    allOf: [
      when(ifOp(unary), { required: ['input'], properties: { inputs: false } }),
      when(ifOp(variadic), {
        required: ['inputs'],
        properties: { input: false, inputs: { type: 'array', minItems: 2 } },
      }),
      ...attrRules,
    ],
  };
}

function lossSchema(): Json {
  const pairing = lossOps.map((op, i) => {
    const producers = lossVocabulary(op).producers;
    return producers === undefined
      ? `${op} any tensor`
      : `${op}${i === 0 ? ' reads' : ''} a ${producers.join(' or ')} node`;
  });
  return {
    type: 'object',
    description: 'The training objective: a loss op, the tensor it reads and the target it compares with.',
    required: ['op', 'input', 'target'],
    additionalProperties: false,
    properties: {
      op: {
        type: 'string',
        description: `The loss. ${pairing.join(', ')}.`,
        enum: [...lossOps],
        enumDescriptions: lossOps.map((op) => lossVocabulary(op).summary),
      },
      input: {
        $ref: '#/definitions/name',
        description: 'The node whose output the loss reads (see op for the pairing).',
      },
      target: { $ref: '#/definitions/name', description: 'A tensor declared in "targets".' },
    },
  };
}

/** The whole schema, as the object written to schema/chainrule.schema.json. */
export function chainruleSchema(): Json {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'chainrule graph spec',
    description:
      'A neural network as a static graph of nodes plus a loss, compiled by chainrule into standalone TypeScript kernels. Validate with `chainrule check SPEC`.',
    type: 'object',
    required: ['name', 'inputs', 'nodes', 'outputs'],
    additionalProperties: false,
    properties: {
      $schema: {
        type: 'string',
        description:
          'Path or URL of this JSON Schema, so editors complete and validate the spec (e.g. "../schema/chainrule.schema.json").',
      },
      name: {
        $ref: '#/definitions/name',
        description: 'Model name: the generated module is <name>.ts. Letters, digits and _, not starting with a digit.',
      },
      inputs: {
        type: 'object',
        description: 'Input tensors by name, each with its shape. `null` is the batch dimension: { "x": [null, 784] }.',
        minProperties: 1,
        propertyNames: {
          $ref: '#/definitions/name',
        },
        additionalProperties: {
          $ref: '#/definitions/shape',
        },
      },
      targets: {
        type: 'object',
        description:
          'Target (label) tensors by name, read only by the loss. For cross_entropy, [null] holds class indices and [null, k] one-hot or probability rows; mse and binary_cross_entropy need the shape of the loss input.',
        propertyNames: {
          $ref: '#/definitions/name',
        },
        additionalProperties: {
          $ref: '#/definitions/shape',
        },
      },
      nodes: {
        type: 'array',
        description:
          'The graph, as a list of nodes. A node reads inputs or other nodes by name; a tensor may feed several nodes, and `add` joins branches. The graph must be acyclic.',
        minItems: 1,
        items: {
          $ref: '#/definitions/node',
        },
      },
      outputs: {
        type: 'array',
        description: 'Names of the nodes the model returns from forward(), in order.',
        minItems: 1,
        uniqueItems: true,
        items: {
          $ref: '#/definitions/name',
        },
      },
      loss: {
        $ref: '#/definitions/loss',
        description: 'The training objective (optional: without it the model is inference-only).',
      },
      train: {
        $ref: '#/definitions/train',
        description: 'The optimizer used by trainStep() (needs a loss).',
      },
    },
    definitions: {
      name: {
        type: 'string',
        pattern: namePattern.source,
        description: 'An identifier: letters, digits and _, not starting with a digit or __.',
      },
      dim: {
        type: 'integer',
        minimum: 1,
        description: 'A fixed dimension size.',
      },
      shape: {
        type: 'array',
        description:
          'Tensor shape: the first dimension may be null (the batch, chosen at run time); the others are positive integers. E.g. [null, 784].',
        minItems: 1,
        items: [
          {
            anyOf: [
              {
                type: 'null',
                description: 'The batch dimension.',
              },
              {
                $ref: '#/definitions/dim',
              },
            ],
          },
        ],
        additionalItems: {
          $ref: '#/definitions/dim',
        },
      },
      node: nodeSchema(),
      loss: lossSchema(),
      train: {
        type: 'object',
        description: 'How trainStep() updates the parameters.',
        required: ['optimizer', 'lr'],
        additionalProperties: false,
        properties: {
          optimizer: {
            type: 'string',
            enum: [...optimizers],
            enumDescriptions: optimizers.map((o) => optimizerDescriptions[o]),
            description: 'The optimizer.',
          },
          ...{
            lr: {
              type: 'number',
              exclusiveMinimum: 0,
              description: 'Learning rate, > 0.',
            },
            momentum: {
              type: 'number',
              minimum: 0,
              exclusiveMaximum: 1,
              default: 0,
              description: 'sgd: momentum coefficient in [0, 1).',
            },
            beta1: {
              type: 'number',
              minimum: 0,
              exclusiveMaximum: 1,
              default: 0.9,
              description: 'adam: decay of the first moment, in [0, 1).',
            },
            beta2: {
              type: 'number',
              minimum: 0,
              exclusiveMaximum: 1,
              default: 0.999,
              description: 'adam: decay of the second moment, in [0, 1).',
            },
            eps: {
              type: 'number',
              exclusiveMinimum: 0,
              default: 1e-8,
              description: 'adam: added to the denominator, > 0.',
            },
            seed: {
              type: 'integer',
              minimum: 0,
              maximum: 4294967295,
              description: 'Seed of the deterministic weight initialization (uint32).',
            },
            // The recipe `chainrule train` follows; its flags (--epochs, --batch, --val-split, --augment) override it.
            epochs: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_EPOCHS,
              default: RECIPE_DEFAULTS.epochs,
              description: '`chainrule train`: total epochs (--epochs overrides).',
            },
            batchSize: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_BATCH,
              default: RECIPE_DEFAULTS.batchSize,
              description: '`chainrule train`: rows per training step (--batch overrides).',
            },
            valSplit: {
              type: 'number',
              minimum: 0,
              exclusiveMaximum: 1,
              default: RECIPE_DEFAULTS.valSplit,
              description:
                '`chainrule train`: fraction of rows held out for validation, in [0, 1) (--val-split overrides).',
            },
            augment: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_SHIFT,
              description:
                '`chainrule train`: shift square images (e.g. MNIST) randomly by up to this many pixels while training; 0 = off (--augment overrides; default 1 for mnist, else 0).',
            },
          },
        },
        allOf: [
          when(
            { required: ['optimizer'], properties: { optimizer: { const: 'sgd' } } },
            { properties: { beta1: false, beta2: false, eps: false } },
          ),
          when(
            { required: ['optimizer'], properties: { optimizer: { const: 'adam' } } },
            { properties: { momentum: false } },
          ),
        ],
      },
    },
  };
}

/** The file's text: two-space JSON and a final newline. */
export function chainruleSchemaText(): string {
  return `${JSON.stringify(chainruleSchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../schema/chainrule.schema.json', import.meta.url));
  writeFileSync(path, chainruleSchemaText());
  console.log(`wrote ${path}`);
}
