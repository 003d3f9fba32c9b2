// Golden error output: one bad spec per error kind in test/cases/errors/*.json, compared with
// *.expected.txt (what `chainrule check` prints to stderr). A table below also pins, per case,
// the line, node and message it must report, so accepting goldens blindly cannot hide a
// regression. Regenerate goldens with: CHAINRULE_ACCEPT=1 npx vitest run test/src/frontend/errors.test.ts
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderLoadReport } from '../../../src/cli/spec-input.js';
import { loadSpecText } from '../../../src/frontend/load.js';

const dir = new URL('../../cases/errors/', import.meta.url);
const accept = process.env.CHAINRULE_ACCEPT === '1';

interface Expectation {
  /** Line of the first diagnostic. */
  readonly line: number;
  /** The node the first diagnostic names, if any. */
  readonly node?: string;
  /** A fragment of the first diagnostic's message. */
  readonly says: string;
  /** Expected number of errors (default 1). */
  readonly errors?: number;
}

const expectations: Readonly<Record<string, Expectation>> = {
  'malformed-missing-comma': { line: 7, says: "expected ','" },
  'malformed-trailing-comma': { line: 9, says: 'trailing comma' },
  'malformed-unclosed': { line: 14, says: 'unexpected end of file' },
  'malformed-single-quotes': { line: 7, says: 'double quotes' },
  'empty-file': { line: 1, says: 'the file is empty' },
  'duplicate-key': { line: 6, says: "duplicate key 'units'" },
  'unknown-key': { line: 6, node: 'fc1', says: "unknown key 'unit'" }, // and no echo about missing 'units'
  'unknown-top-level-key': { line: 14, says: "unknown top-level key 'optimizer'" },
  'wrong-type': { line: 6, node: 'fc1', says: '\'units\' must be a positive integer, found a string ("128")' },
  'unknown-op': { line: 7, node: 'h1', says: "unknown op 'relux'" },
  'loss-op-as-node': { line: 9, node: 'probs', says: "unknown op 'cross_entropy'" },
  'missing-name': { line: 7, says: "node has no 'name'", errors: 2 },
  // The renamed node leaves its old name undefined: that second error is real.
  'duplicate-name': { line: 8, node: 'fc1', says: "duplicate name 'fc1'", errors: 2 },
  'invalid-name': { line: 7, says: "'hidden-1' is not a valid identifier", errors: 2 },
  'undefined-tensor': { line: 8, node: 'fc2', says: "undefined tensor 'h2'" },
  'target-as-operand': { line: 6, node: 'fc1', says: "'y' is a target" },
  cycle: { line: 7, node: 'h1', says: 'cycle: mix → h1 → mix' },
  'unary-with-inputs': { line: 7, node: 'h1', says: "relu takes a single 'input', not 'inputs'" },
  'unary-two-operands': { line: 7, node: 'h1', says: 'relu takes exactly one operand, found 2' },
  'add-one-operand': { line: 7, node: 'h1', says: 'add needs at least 2 operands, found 1' },
  'add-with-input': { line: 7, node: 'h1', says: "add joins two or more tensors: use 'inputs'" },
  'missing-input': { line: 7, node: 'h1', says: "relu node has no 'input'" },
  'units-zero': { line: 6, node: 'fc1', says: "'units' must be at least 1, found 0" },
  'units-fraction': { line: 6, node: 'fc1', says: "'units' must be a whole number, found 12.5" },
  'units-missing': { line: 6, node: 'fc1', says: "linear node has no 'units'" },
  'attr-on-wrong-op': { line: 7, node: 'h1', says: "'alpha' does not apply to relu" },
  'alpha-not-finite': { line: 7, node: 'h1', says: "'alpha' must be a finite number" },
  'shape-null-inside': { line: 3, says: 'has null at position 1' },
  'shape-mismatch-add': { line: 9, node: 'join', says: 'h1 is [B,128] but branch is [B,64]' },
  'loss-ce-on-logits': {
    line: 12,
    node: 'fc2',
    says: 'cross_entropy needs the output of a softmax or log_softmax node',
  },
  'loss-bce-needs-sigmoid': {
    line: 12,
    node: 'probs',
    says: 'binary_cross_entropy needs the output of a sigmoid node',
  },
  'loss-ce-target-width': { line: 12, node: 'probs', says: 'loss cross_entropy' },
  'loss-mse-target-shape': { line: 12, node: 'probs', says: 'loss mse' },
  'loss-target-undefined': { line: 12, says: "loss target 'label' is not defined" },
  'loss-unknown': { line: 12, says: "unknown loss 'crossentropy'" },
  'output-undefined': { line: 11, says: "output 'prob' is not defined" },
  'output-is-input': { line: 11, says: "output 'x' is an input, not a node" },
  'unused-node': { line: 10, node: 'spare', says: "node 'spare' is not used", errors: 0 },
  'train-unknown-optimizer': { line: 13, says: "unknown optimizer 'adamw'" },
  'train-lr-zero': { line: 13, says: "'lr' must be a number > 0" },
  'train-momentum-range': { line: 13, says: "'momentum' must be in [0, 1)" },
  'train-option-of-other-optimizer': { line: 13, says: "unknown key 'momentum' in 'train' for adam" },
  'train-without-loss': { line: 12, says: "'train' needs a loss" },
  'train-recipe-range': { line: 13, says: "'epochs' must be a whole number in [1, 1000000]", errors: 2 },
  'label-unknown-key': { line: 6, node: 'fc1', says: "unknown label key 'weigth' for linear" },
  'label-param-on-activation': { line: 7, node: 'h1', says: "unknown label key 'weight' for relu" },
  'label-not-text': { line: 7, node: 'h1', says: "'label' must be a string or an object of strings" },
  'no-parameter-to-train': { line: 5, says: "spec 'nopar' has no parameter the loss depends on" },
  'size-too-large': {
    line: 6,
    node: 'fc1',
    says: "linear 'fc1': its weight fc1.weight [8, 1000000000] (f32) needs 32,000,000,000 bytes (29.8 GiB)",
    errors: 2,
  },
  'multiple-errors': { line: 6, node: 'fc1', says: "unknown op 'lienar'", errors: 9 },
};

const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

describe('error cases', () => {
  it('has an expectation for every case file and a file for every expectation', () => {
    expect(cases).toEqual(Object.keys(expectations).sort());
  });

  it.each(cases)('%s', (name) => {
    const file = `test/cases/errors/${name}.json`;
    const text = readFileSync(new URL(`${name}.json`, dir), 'utf8');
    const result = loadSpecText(text, file);
    const report = renderLoadReport(result, file, () => text);
    const golden = new URL(`${name}.expected.txt`, dir);
    if (accept || !existsSync(golden)) writeFileSync(golden, report);
    expect(report).toBe(readFileSync(golden, 'utf8'));

    const want = expectations[name];
    if (want === undefined) throw new Error(`no expectation for ${name}`);
    const errors = result.ok ? [] : result.errors;
    expect(errors.length).toBe(want.errors ?? 1);
    const first = [...errors, ...result.warnings][0];
    expect(first?.message).toContain(want.says);
    expect(first?.loc?.line).toBe(want.line);
    expect(first?.loc?.file).toBe(file);
    if (want.node !== undefined) expect(first?.node).toBe(want.node);
    // Every diagnostic is located and says how to fix it.
    for (const d of [...errors, ...result.warnings]) {
      expect(d.loc, d.message).toBeDefined();
      expect(d.hint, d.message).toBeTruthy();
    }
    expect(report).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:${want.line}:\\d+: (error|warning): `));
  });
});
