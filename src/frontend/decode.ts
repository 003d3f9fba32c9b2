// Structural decoding: an untyped JSON value -> DraftSpec, reporting unknown keys (with "did you
// mean"), wrong value types, unknown ops/losses/optimizers and out-of-range numbers. Cross-
// references (undefined tensors, cycles, loss pairings) are checked later, in validate.ts.
import type { SpecLossOp, SpecOp, SpecShape, TrainSpec } from '../../compiler/frontend/graph-spec.js';
import { labelKeys } from '../../compiler/frontend/labels.js';
import type { DraftLoss, DraftNode, DraftSpec, DraftTensor, Issue, Ref } from './draft.js';
import { joinPointer } from './json-source.js';
import { closest, listNames, suggestionHint } from './suggest.js';
import {
  isLossOp,
  isOptimizer,
  isSpecOp,
  lossKeys,
  lossOps,
  namePattern,
  nodeKeys,
  opTable,
  optimizers,
  specOps,
  topLevelKeys,
  trainKeys,
  recipeKeys,
  MAX_BATCH,
  MAX_EPOCHS,
  MAX_SHIFT,
  type OptimizerName,
} from './vocabulary.js';

type Json = Readonly<Record<string, unknown>>;

/** Decodes a whole spec; `issues` receives every structural problem found. */
export function decodeSpec(value: unknown, issues: Issue[]): DraftSpec {
  if (!isRecord(value)) {
    issues.push({
      pointer: '',
      message: `a spec must be a JSON object, found ${describe(value)}`,
      hint: 'start from an example in examples/',
    });
    return { inputs: [], targets: [], hasTargets: false, nodes: [], outputs: [] };
  }
  checkKeys(value, '', topLevelKeys, 'top-level key', issues);
  requireKeys(value, '', ['name', 'inputs', 'nodes', 'outputs'], 'a spec', issues);
  const schema = optionalString(value, '', '$schema', issues);
  const name = value.name === undefined ? undefined : decodeName(value.name, '/name', 'the model name', issues);
  const trainPointer = value.train === undefined ? undefined : '/train';
  return {
    ...(schema !== undefined ? { schema } : {}),
    ...(name !== undefined ? { name } : {}),
    inputs: value.inputs === undefined ? [] : decodeTensors(value.inputs, '/inputs', 'input', issues),
    targets: value.targets === undefined ? [] : decodeTensors(value.targets, '/targets', 'target', issues),
    hasTargets: value.targets !== undefined,
    nodes: value.nodes === undefined ? [] : decodeNodes(value.nodes, issues),
    outputs: value.outputs === undefined ? [] : decodeOutputs(value.outputs, issues),
    ...optionalField('loss', value.loss === undefined ? undefined : decodeLoss(value.loss, issues)),
    ...optionalField('train', value.train === undefined ? undefined : decodeTrain(value.train, issues)),
    ...(trainPointer !== undefined ? { trainPointer } : {}),
  };
}

function optionalField<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

// ---- tensors and shapes ----------------------------------------------------------------------

function decodeTensors(value: unknown, pointer: string, kind: 'input' | 'target', issues: Issue[]): DraftTensor[] {
  if (!isRecord(value)) {
    issues.push({
      pointer,
      message: `'${kind}s' must be an object mapping names to shapes, found ${describe(value)}`,
      hint: kind === 'input' ? 'write "inputs": { "x": [null, 784] }' : 'write "targets": { "y": [null] }',
    });
    return [];
  }
  const names = Object.keys(value);
  if (names.length === 0 && kind === 'input') {
    issues.push({ pointer, message: "'inputs' is empty", hint: 'declare at least one input, e.g. "x": [null, 784]' });
  }
  return names.map((name): DraftTensor => {
    const p = joinPointer(pointer, name);
    if (!namePattern.test(name)) issues.push({ pointer: p, atKey: true, ...badName(name, `${kind} name`) });
    const shape = decodeShape(value[name], p, `${kind} '${name}'`, issues);
    return shape === undefined ? { name, pointer: p } : { name, pointer: p, shape };
  });
}

function decodeShape(value: unknown, pointer: string, what: string, issues: Issue[]): SpecShape | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({
      pointer,
      message: `the shape of ${what} must be a non-empty array of dimensions, found ${describe(value)}`,
      hint: 'e.g. [null, 784]: null is the batch dimension, then the feature sizes',
    });
    return undefined;
  }
  let ok = true;
  value.forEach((dim: unknown, i) => {
    const p = joinPointer(pointer, i);
    if (dim === null) {
      if (i !== 0) {
        issues.push({
          pointer: p,
          message: `the shape of ${what} has null at position ${i}`,
          hint: 'only the first dimension may be null (the batch); the others are fixed sizes',
        });
        ok = false;
      }
    } else if (!isPositiveInt(dim)) {
      issues.push({
        pointer: p,
        message: `dimension ${i} of ${what} must be a positive integer or null, found ${describe(dim)}`,
        hint: quotedNumberHint(dim) ?? 'sizes are whole numbers ≥ 1',
      });
      ok = false;
    }
  });
  return ok ? (value as (number | null)[]) : undefined;
}

// ---- nodes ------------------------------------------------------------------------------------

function decodeNodes(value: unknown, issues: Issue[]): DraftNode[] {
  if (!Array.isArray(value)) {
    issues.push({
      pointer: '/nodes',
      message: `'nodes' must be an array of node objects, found ${describe(value)}`,
      hint: 'write "nodes": [ { "name": "fc1", "op": "linear", "input": "x", "units": 128 } ]',
    });
    return [];
  }
  if (value.length === 0)
    issues.push({
      pointer: '/nodes',
      message: "'nodes' is empty",
      hint: 'add at least one node, e.g. { "name": "fc1", "op": "linear", "input": "x", "units": 10 }',
    });
  return value.map((node: unknown, i) => decodeNode(node, `/nodes/${i}`, issues));
}

function decodeNode(value: unknown, pointer: string, issues: Issue[]): DraftNode {
  const before = issues.length;
  if (!isRecord(value)) {
    issues.push({
      pointer,
      message: `a node must be an object, found ${describe(value)}`,
      hint: 'e.g. { "name": "h1", "op": "relu", "input": "fc1" }',
    });
    return { pointer, operandKeys: [], operands: [], operandsOk: false, broken: true };
  }
  const name = value.name === undefined ? undefined : decodeName(value.name, `${pointer}/name`, 'a node name', issues);
  const node = name ?? (typeof value.name === 'string' ? value.name : undefined);
  const op = value.op === undefined ? undefined : decodeOp(value.op, `${pointer}/op`, node, issues);
  if (value.name === undefined) {
    issues.push({
      pointer,
      message: "node has no 'name'",
      hint: `give it a unique name, e.g. "name": "${suggestName(op, pointer)}"`,
      ...nodeField(node),
    });
  }
  if (value.op === undefined) {
    issues.push({
      pointer,
      message: "node has no 'op'",
      hint: `set "op" to one of ${listNames(specOps)}`,
      ...nodeField(node),
    });
  }
  for (const key of Object.keys(value)) {
    const p = joinPointer(pointer, key);
    if (!(nodeKeys as readonly string[]).includes(key)) {
      issues.push({
        pointer: p,
        atKey: true,
        message: `unknown key '${key}' in node`,
        hint: suggestionHint(key, nodeKeys, 'node keys'),
        ...nodeField(node),
      });
    } else if (
      op !== undefined &&
      (key === 'units' || key === 'bias' || key === 'alpha') &&
      !opTable[op].attrs.includes(key)
    ) {
      const owners = specOps.filter((o) => opTable[o].attrs.includes(key));
      issues.push({
        pointer: p,
        atKey: true,
        message: `'${key}' does not apply to ${op}`,
        hint: `'${key}' is an attribute of ${owners.join(', ')}; remove it here`,
        ...nodeField(node),
      });
    }
  }
  const operandKeys = (['input', 'inputs'] as const).filter((k) => value[k] !== undefined);
  const beforeOperands = issues.length;
  const operands = decodeOperands(value, pointer, node, issues);
  const operandsOk = issues.length === beforeOperands;
  const units = value.units === undefined ? undefined : decodeUnits(value.units, `${pointer}/units`, node, issues);
  // A misspelled 'units' is reported as an unknown key with "did you mean"; not twice.
  const unitsTypo = Object.keys(value).some((k) => k !== 'units' && closest(k, ['units']) !== undefined);
  if (op === 'linear' && value.units === undefined && !unitsTypo) {
    issues.push({
      pointer,
      message: "linear node has no 'units'",
      hint: 'add "units": N, the number of output features',
      ...nodeField(node),
    });
  }
  const bias =
    value.bias === undefined ? undefined : decodeBoolean(value.bias, `${pointer}/bias`, 'bias', node, issues);
  const alpha = value.alpha === undefined ? undefined : decodeAlpha(value.alpha, `${pointer}/alpha`, node, issues);
  const label = value.label === undefined ? undefined : decodeLabel(value.label, `${pointer}/label`, op, node, issues);
  return {
    pointer,
    ...(node !== undefined ? { name: node } : {}),
    ...(op !== undefined ? { op } : {}),
    operandKeys,
    operands,
    operandsOk,
    ...(units !== undefined ? { units } : {}),
    ...(bias !== undefined ? { bias } : {}),
    ...(alpha !== undefined ? { alpha } : {}),
    ...(label !== undefined ? { label } : {}),
    broken: issues.length > before,
  };
}

/** Common names for ops under other frameworks' spellings. */
const opAliases: Readonly<Record<string, SpecOp>> = {
  dense: 'linear',
  fc: 'linear',
  fully_connected: 'linear',
  affine: 'linear',
  matmul: 'linear',
  logsoftmax: 'log_softmax',
  leakyrelu: 'leaky_relu',
  sum: 'add',
  plus: 'add',
  concat: 'add',
  none: 'identity',
  linear_activation: 'identity',
};

function decodeOp(value: unknown, pointer: string, node: string | undefined, issues: Issue[]): SpecOp | undefined {
  if (typeof value !== 'string') {
    issues.push({
      pointer,
      message: `'op' must be a string, found ${describe(value)}`,
      hint: `one of ${listNames(specOps)}`,
      ...nodeField(node),
    });
    return undefined;
  }
  if (isSpecOp(value)) return value;
  const alias = Object.hasOwn(opAliases, value.toLowerCase()) ? opAliases[value.toLowerCase()] : undefined;
  let hint: string;
  if (isLossOp(value))
    hint = `${value} is a loss: declare it as "loss": { "op": "${value}", "input": ..., "target": ... }`;
  else if (alias !== undefined && alias !== value)
    hint = `chainrule calls this '${alias}'${value.toLowerCase() === 'concat' ? ' (concatenation is not supported; add sums same-shaped tensors)' : ''}`;
  else hint = suggestionHint(value, specOps, 'ops');
  issues.push({ pointer, message: `unknown op '${value}'`, hint, ...nodeField(node) });
  return undefined;
}

function decodeOperands(value: Json, pointer: string, node: string | undefined, issues: Issue[]): Ref[] {
  const refs: Ref[] = [];
  if (value.input !== undefined) {
    const p = `${pointer}/input`;
    if (typeof value.input === 'string') refs.push({ name: value.input, pointer: p });
    else if (Array.isArray(value.input)) {
      issues.push({
        pointer: p,
        message: "'input' takes one tensor name, found an array",
        hint: 'for several operands write "inputs": [...]',
        ...nodeField(node),
      });
    } else {
      issues.push({
        pointer: p,
        message: `'input' must be a tensor name, found ${describe(value.input)}`,
        hint: 'e.g. "input": "fc1"',
        ...nodeField(node),
      });
    }
  }
  if (value.inputs !== undefined) {
    const p = `${pointer}/inputs`;
    if (!Array.isArray(value.inputs)) {
      const hint =
        typeof value.inputs === 'string'
          ? `write "inputs": ["${value.inputs}", ...], or "input": "${value.inputs}" for one operand`
          : 'e.g. "inputs": ["h0", "branch"]';
      issues.push({
        pointer: p,
        message: `'inputs' must be an array of tensor names, found ${describe(value.inputs)}`,
        hint,
        ...nodeField(node),
      });
    } else {
      value.inputs.forEach((item: unknown, i) => {
        const q = joinPointer(p, i);
        if (typeof item === 'string') refs.push({ name: item, pointer: q });
        else
          issues.push({
            pointer: q,
            message: `operand ${i} must be a tensor name, found ${describe(item)}`,
            hint: 'operands are names of inputs or nodes, in double quotes',
            ...nodeField(node),
          });
      });
    }
  }
  return refs;
}

function decodeUnits(value: unknown, pointer: string, node: string | undefined, issues: Issue[]): number | undefined {
  if (isPositiveInt(value)) return value;
  let message: string;
  if (typeof value !== 'number') message = `'units' must be a positive integer, found ${describe(value)}`;
  else if (!Number.isInteger(value)) message = `'units' must be a whole number, found ${value}`;
  else message = `'units' must be at least 1, found ${value}`;
  issues.push({
    pointer,
    message,
    hint: quotedNumberHint(value) ?? 'units is the number of output features, an integer ≥ 1',
    ...nodeField(node),
  });
  return undefined;
}

function decodeAlpha(value: unknown, pointer: string, node: string | undefined, issues: Issue[]): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  issues.push({
    pointer,
    message: `'alpha' must be a finite number, found ${describe(value)}`,
    hint: quotedNumberHint(value) ?? 'alpha is the slope for negative inputs, e.g. 0.01 (the default)',
    ...nodeField(node),
  });
  return undefined;
}

/** Longest label: a lecture name, not a sentence (it is printed inside equations and diagram nodes). */
const MAX_LABEL = 24;

/** One label text: a short, one-line, non-empty string. */
function labelTextProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `must be a string, found ${describe(text)}`;
  if (text.trim() === '') return 'is empty';
  if ([...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'contains a control character (a line break or tab)';
  if ([...text].length > MAX_LABEL) return `is ${[...text].length} characters long (at most ${MAX_LABEL})`;
  return undefined;
}

/**
 * `"label": "H"` (the node's output) or `"label": { "weight": "W^(1)", "bias": "b^(1)" }` (per
 * tensor: `output` and the op's parameters, see compiler/frontend/labels.ts).
 */
function decodeLabel(
  value: unknown,
  pointer: string,
  op: SpecOp | undefined,
  node: string | undefined,
  issues: Issue[],
): string | Readonly<Record<string, string>> | undefined {
  const keys = op === undefined ? undefined : labelKeys(op);
  const example = keys !== undefined && keys.length > 1 ? `{ "${keys[1]}": "W^(1)" }` : '{ "output": "H" }';
  if (typeof value === 'string') {
    const problem = labelTextProblem(value);
    if (problem === undefined) return value;
    issues.push({
      pointer,
      message: `'label' ${problem}`,
      hint: 'a short lecture name such as "H" or "W^(1)"',
      ...nodeField(node),
    });
    return undefined;
  }
  if (!isRecord(value)) {
    issues.push({
      pointer,
      message: `'label' must be a string or an object of strings, found ${describe(value)}`,
      hint: `e.g. "label": "H" for the node's output, or "label": ${example}`,
      ...nodeField(node),
    });
    return undefined;
  }
  const before = issues.length;
  for (const [key, text] of Object.entries(value)) {
    const p = joinPointer(pointer, key);
    if (keys !== undefined && !keys.includes(key)) {
      issues.push({
        pointer: p,
        atKey: true,
        message: `unknown label key '${key}'${op === undefined ? '' : ` for ${op}`}`,
        hint: suggestionHint(key, keys, 'label keys'),
        ...nodeField(node),
      });
      continue;
    }
    const problem = labelTextProblem(text);
    if (problem !== undefined)
      issues.push({
        pointer: p,
        message: `label '${key}' ${problem}`,
        hint: 'a short lecture name such as "W^(1)"',
        ...nodeField(node),
      });
  }
  if (Object.keys(value).length === 0)
    issues.push({
      pointer,
      message: "'label' is an empty object",
      hint: `e.g. "label": ${example}`,
      ...nodeField(node),
    });
  return issues.length === before ? (value as Readonly<Record<string, string>>) : undefined;
}

function decodeBoolean(
  value: unknown,
  pointer: string,
  key: string,
  node: string | undefined,
  issues: Issue[],
): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const hint = value === 'false' || value === 'true' ? `write ${value} without quotes` : 'use true or false';
  issues.push({
    pointer,
    message: `'${key}' must be true or false, found ${describe(value)}`,
    hint,
    ...nodeField(node),
  });
  return undefined;
}

// ---- outputs, loss, train ---------------------------------------------------------------------

function decodeOutputs(value: unknown, issues: Issue[]): Ref[] {
  if (typeof value === 'string') {
    issues.push({
      pointer: '/outputs',
      message: "'outputs' must be an array of node names",
      hint: `write "outputs": ["${value}"]`,
    });
    return [];
  }
  if (!Array.isArray(value)) {
    issues.push({
      pointer: '/outputs',
      message: `'outputs' must be an array of node names, found ${describe(value)}`,
      hint: 'e.g. "outputs": ["probs"]',
    });
    return [];
  }
  if (value.length === 0)
    issues.push({
      pointer: '/outputs',
      message: "'outputs' is empty",
      hint: 'name the node(s) the model returns, e.g. "outputs": ["probs"]',
    });
  const refs: Ref[] = [];
  value.forEach((item: unknown, i) => {
    const p = `/outputs/${i}`;
    if (typeof item === 'string') refs.push({ name: item, pointer: p });
    else
      issues.push({
        pointer: p,
        message: `output ${i} must be a node name, found ${describe(item)}`,
        hint: 'e.g. "outputs": ["probs"]',
      });
  });
  return refs;
}

function decodeLoss(value: unknown, issues: Issue[]): DraftLoss | undefined {
  const pointer = '/loss';
  if (!isRecord(value)) {
    issues.push({
      pointer,
      message: `'loss' must be an object, found ${describe(value)}`,
      hint: 'e.g. "loss": { "op": "cross_entropy", "input": "probs", "target": "y" }',
    });
    return undefined;
  }
  checkKeys(value, pointer, lossKeys, 'loss key', issues);
  requireKeys(value, pointer, lossKeys, 'the loss', issues);
  let op: SpecLossOp | undefined;
  if (value.op !== undefined) {
    if (typeof value.op === 'string' && isLossOp(value.op)) op = value.op;
    else {
      const hint =
        typeof value.op !== 'string'
          ? `one of ${listNames(lossOps)}`
          : isSpecOp(value.op)
            ? `${value.op} is a node op; losses are ${listNames(lossOps)}`
            : suggestionHint(value.op, lossOps, 'losses');
      issues.push({
        pointer: `${pointer}/op`,
        message:
          typeof value.op === 'string'
            ? `unknown loss '${value.op}'`
            : `loss 'op' must be a string, found ${describe(value.op)}`,
        hint,
      });
    }
  }
  const input = decodeRef(value.input, `${pointer}/input`, 'the loss input', issues);
  const target = decodeRef(value.target, `${pointer}/target`, 'the loss target', issues);
  return {
    pointer,
    ...(op !== undefined ? { op } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(target !== undefined ? { target } : {}),
  };
}

function decodeRef(value: unknown, pointer: string, what: string, issues: Issue[]): Ref | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { name: value, pointer };
  issues.push({
    pointer,
    message: `${what} must be a tensor name, found ${describe(value)}`,
    hint: 'e.g. "loss": { "op": "cross_entropy", "input": "probs", "target": "y" }',
  });
  return undefined;
}

function decodeTrain(value: unknown, issues: Issue[]): TrainSpec | undefined {
  const pointer = '/train';
  if (!isRecord(value)) {
    issues.push({
      pointer,
      message: `'train' must be an object, found ${describe(value)}`,
      hint: 'e.g. "train": { "optimizer": "sgd", "lr": 0.1 }',
    });
    return undefined;
  }
  const before = issues.length;
  let optimizer: OptimizerName | undefined;
  if (value.optimizer === undefined) {
    issues.push({
      pointer,
      message: "'train' has no 'optimizer'",
      hint: `add "optimizer": one of ${listNames(optimizers)}`,
    });
  } else if (typeof value.optimizer === 'string' && isOptimizer(value.optimizer)) {
    optimizer = value.optimizer;
  } else {
    const text = typeof value.optimizer === 'string' ? value.optimizer : describe(value.optimizer);
    issues.push({
      pointer: `${pointer}/optimizer`,
      message: `unknown optimizer ${typeof value.optimizer === 'string' ? `'${text}'` : text}`,
      hint:
        typeof value.optimizer === 'string'
          ? suggestionHint(value.optimizer, optimizers, 'optimizers')
          : `one of ${listNames(optimizers)}`,
    });
  }
  if (value.lr === undefined)
    issues.push({ pointer, message: "'train' has no 'lr' (learning rate)", hint: 'add e.g. "lr": 0.01' });
  const allowed =
    optimizer === undefined ? [...new Set(optimizers.flatMap((o) => trainKeys[o]))] : trainKeys[optimizer];
  for (const key of Object.keys(value)) {
    if (key === 'optimizer' || allowed.includes(key)) continue;
    const owner = optimizers.find((o) => trainKeys[o].includes(key));
    const hint =
      owner !== undefined && optimizer !== undefined
        ? `'${key}' is an option of ${owner}; ${optimizer} takes ${listNames(trainKeys[optimizer].filter((k) => !isRecipeKey(k)))}`
        : suggestionHint(key, ['optimizer', ...allowed], 'train keys');
    issues.push({
      pointer: joinPointer(pointer, key),
      atKey: true,
      message: `unknown key '${key}' in 'train'${optimizer !== undefined && owner !== undefined ? ` for ${optimizer}` : ''}`,
      hint,
    });
  }
  const num = (key: string, check: (x: number) => boolean, rule: string, example: string): void => {
    const v = value[key];
    if (v === undefined || (typeof v === 'number' && check(v))) return;
    issues.push({
      pointer: `${pointer}/${key}`,
      message: `'${key}' must be ${rule}, found ${describe(v)}`,
      hint: quotedNumberHint(v) ?? `e.g. "${key}": ${example}`,
    });
  };
  const positive = (x: number): boolean => Number.isFinite(x) && x > 0;
  const unitInterval = (x: number): boolean => x >= 0 && x < 1;
  num('lr', positive, 'a number > 0', '0.01');
  num('momentum', unitInterval, 'in [0, 1)', '0.9');
  num('beta1', unitInterval, 'in [0, 1)', '0.9');
  num('beta2', unitInterval, 'in [0, 1)', '0.999');
  num('eps', positive, 'a number > 0', '1e-8');
  num('seed', (x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff, 'an integer in [0, 4294967295]', '1');
  // The recipe `chainrule train` follows unless its flags say otherwise (same rules as the flags).
  const count = (min: number, max: number) => (x: number) => Number.isInteger(x) && x >= min && x <= max;
  num('epochs', count(1, MAX_EPOCHS), `a whole number in [1, ${MAX_EPOCHS}]`, '15');
  num('batchSize', count(1, MAX_BATCH), `a whole number in [1, ${MAX_BATCH}]`, '32');
  num('valSplit', unitInterval, 'a fraction in [0, 1)', '0.2');
  num('augment', count(0, MAX_SHIFT), `a whole number of pixels in [0, ${MAX_SHIFT}]`, '1');
  if (issues.length > before || optimizer === undefined) return undefined;
  const get = (key: string): number | undefined => {
    const v = value[key];
    return typeof v === 'number' ? v : undefined;
  };
  const lr = get('lr') ?? 0; // present: checked above
  const recipe = {
    epochs: get('epochs'),
    batchSize: get('batchSize'),
    valSplit: get('valSplit'),
    augment: get('augment'),
  };
  return optimizer === 'sgd'
    ? withoutUndefined({ optimizer, lr, momentum: get('momentum'), seed: get('seed'), ...recipe })
    : withoutUndefined({
        optimizer,
        lr,
        beta1: get('beta1'),
        beta2: get('beta2'),
        eps: get('eps'),
        seed: get('seed'),
        ...recipe,
      });
}

function isRecipeKey(key: string): boolean {
  return (recipeKeys as readonly string[]).includes(key);
}

/** Drops absent optional keys so the decoded object equals the written one. */
export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---- shared helpers ---------------------------------------------------------------------------

function checkKeys(value: Json, pointer: string, allowed: readonly string[], what: string, issues: Issue[]): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const hint = closest(key, allowed) === undefined ? misplacedKeyHint(key) : undefined;
    issues.push({
      pointer: joinPointer(pointer, key),
      atKey: true,
      message: `unknown ${what} '${key}'`,
      hint:
        hint ??
        suggestionHint(
          key,
          allowed.filter((k) => k !== '$schema'),
          `${what}s`,
        ),
    });
  }
}

/** "'optimizer' belongs inside "train"" for a key written one level too high. */
function misplacedKeyHint(key: string): string | undefined {
  if (key === 'optimizer' || optimizers.some((o) => trainKeys[o].includes(key)))
    return `'${key}' belongs inside "train": { "optimizer": ..., "lr": ... }`;
  if ((nodeKeys as readonly string[]).includes(key)) return `'${key}' belongs to a node inside "nodes": [...]`;
  return undefined;
}

function requireKeys(value: Json, pointer: string, keys: readonly string[], what: string, issues: Issue[]): void {
  for (const key of keys) {
    if (value[key] !== undefined) continue;
    const near = closest(
      key,
      Object.keys(value).filter((k) => !keys.includes(k)),
    );
    // A misspelled key is already reported as unknown with "did you mean"; say nothing twice.
    if (near !== undefined) continue;
    issues.push({ pointer, message: `${what} has no '${key}'`, hint: `add "${key}": ...` });
  }
}

function optionalString(value: Json, pointer: string, key: string, issues: Issue[]): string | undefined {
  const v = value[key];
  if (v === undefined || typeof v === 'string') return v;
  issues.push({
    pointer: joinPointer(pointer, key),
    message: `'${key}' must be a string, found ${describe(v)}`,
    hint: key === '$schema' ? 'e.g. "$schema": "../schema/chainrule.schema.json"' : 'write it in double quotes',
  });
  return undefined;
}

function decodeName(value: unknown, pointer: string, what: string, issues: Issue[]): string | undefined {
  if (typeof value !== 'string') {
    issues.push({ pointer, message: `${what} must be a string, found ${describe(value)}`, hint: 'e.g. "fc1"' });
    return undefined;
  }
  if (!namePattern.test(value)) {
    issues.push({ pointer, ...badName(value, what) });
    return undefined;
  }
  return value;
}

function badName(name: string, what: string): { message: string; hint: string } {
  const fixed = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9]|$)/, '_');
  return {
    message: `${what} '${name}' is not a valid identifier`,
    hint: name.startsWith('__')
      ? 'names starting with __ are reserved (they clash with JavaScript object internals)'
      : `names become identifiers and file names: use letters, digits and _ and do not start with a digit (e.g. '${fixed}')`,
  };
}

function suggestName(op: SpecOp | undefined, pointer: string): string {
  const index = pointer.split('/').at(-1) ?? '0';
  return `${op ?? 'node'}${index}`;
}

function nodeField(node: string | undefined): { node?: string } {
  return node === undefined ? {} : { node };
}

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

/** "write 128 without quotes" for `"128"`. */
function quotedNumberHint(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
    ? `write ${v.trim()} without quotes`
    : undefined;
}

/** A short, readable description of a JSON value for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `a string ("${v.length > 30 ? `${v.slice(0, 30)}…` : v}")`;
    case 'number':
      return Number.isFinite(v) ? `the number ${v}` : `${v} (not a finite number)`;
    case 'boolean':
      return String(v);
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}
