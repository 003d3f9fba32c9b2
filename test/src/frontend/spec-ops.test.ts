// Every op a spec may use, used from a spec file: for each node op and each loss of the registry
// (its `spec` trait), a small spec written to disk is compiled from its path, and the generated
// module agrees with the reference interpreter on forward, lossAndGrads and two training steps.
// A new spec op is picked up here without a new test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GraphSpec, NodeSpec, SpecLossOp, SpecOp } from '../../../compiler/frontend/graph-spec.js';
import { lossVocabulary, nodeVocabulary, ops } from '../../../compiler/ops/index.js';
import { loadModuleSource } from '../../../runtime/load-module.js';
import { attributes } from '../../../scripts/schema.js';
import { compile } from '../../../src/api.js';
import { lossOps, specOps } from '../../../src/frontend/vocabulary.js';
import { randomBatch, stepProblems, TOLERANCE } from '../../compiler/codegen/support.js';
import { compileSpec } from '../../support/pipeline.js';
import { rng } from '../../support/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-spec-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A node of `op` reading `x` (both operands of a variadic op), every attribute at its example value. */
function nodeOf(op: SpecOp, name: string, x: string): NodeSpec {
  const v = nodeVocabulary(op);
  const attrs = Object.fromEntries(v.attrs.map((a) => [a, attributes[a].example]));
  return v.arity === 'variadic' ? { name, op, inputs: [x, x], ...attrs } : { name, op, input: x, ...attrs };
}

/** x → fc → `op` → head → mse: the op inside a trained graph. */
function nodeSpec(op: SpecOp): GraphSpec {
  return {
    name: `uses_${op}`,
    inputs: { x: [null, 4] },
    targets: { y: [null, 2] },
    nodes: [
      { name: 'fc', op: 'linear', input: 'x', units: 3 },
      nodeOf(op, 'n', 'fc'),
      { name: 'head', op: 'linear', input: 'n', units: 2 },
    ],
    outputs: ['n', 'head'],
    loss: { op: 'mse', input: 'head', target: 'y' },
    train: { optimizer: 'sgd', lr: 0.1 },
  };
}

/** x → fc → (the loss's required producer) → `loss`. */
function lossSpec(op: SpecLossOp): GraphSpec {
  const producer = lossVocabulary(op).producers?.[0] as SpecOp | undefined;
  const nodes: NodeSpec[] = [{ name: 'fc', op: 'linear', input: 'x', units: 3 }];
  if (producer !== undefined) nodes.push(nodeOf(producer, 'p', 'fc'));
  const pred = nodes[nodes.length - 1]?.name ?? 'fc';
  return {
    name: `loss_${op}`,
    inputs: { x: [null, 4] },
    targets: { y: op === 'cross_entropy' ? [null] : [null, 3] },
    nodes,
    outputs: [pred],
    loss: { op, input: pred, target: 'y' },
    train: { optimizer: 'adam', lr: 0.01 },
  };
}

async function fromFile(spec: GraphSpec): Promise<string[]> {
  const path = join(dir, `${spec.name}.json`);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  const compiled = compile(path, { dtype: 'f64' });
  const model = (await loadModuleSource(compiled.source, compiled.name)).createModel({ seed: 3 });
  const { joint } = compileSpec(spec, { dtype: 'f64' });
  return stepProblems(model, joint, randomBatch(joint, 5, rng(9), 'f64'), TOLERANCE.f64);
}

describe('the linear layer feeding an activation gets the initializer the activation declares', () => {
  it.each(specOps.filter((op) => ops[op].group === 'activation').map((op) => [op]))('%s', (op) => {
    const { forward } = compileSpec(nodeSpec(op), { dtype: 'f64' });
    const weight = forward.nodes.find((n) => n.name === 'fc.weight');
    expect(weight?.op === 'param' ? weight.attrs.init : undefined).toBe(ops[op].feedInit ?? 'glorot_uniform');
  });
});

describe('every spec op works from a spec file', () => {
  it.each(specOps.map((op) => [op]))('node op %s', async (op) => {
    expect(await fromFile(nodeSpec(op))).toEqual([]);
  });
  it.each(lossOps.map((op) => [op]))('loss %s', async (op) => {
    expect(await fromFile(lossSpec(op))).toEqual([]);
  });
});
