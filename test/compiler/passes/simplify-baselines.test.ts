// Golden IR of each example after dce → cse → simplify (float32), headed by the rules that fired.
// On a difference, read test/baselines/local/<name>.simplify.txt against reference/ and accept
// intended changes with `npm run baseline:accept`.
import { describe, expect, it } from 'vitest';
import { printGraph } from '../../../compiler/ir/print.js';
import { eliminateCommonSubexpressions } from '../../../compiler/passes/simplify/cse.js';
import { eliminateDeadCode } from '../../../compiler/passes/simplify/dce.js';
import { simplifyGraph } from '../../../compiler/passes/simplify/simplify.js';
import { baseline } from '../../support/baseline.js';
import { exampleSpec, exampleSpecs } from '../../support/examples.js';
import { joint, simplified } from './simplify-support.js';

describe('IR after simplification', () => {
  it.each([...exampleSpecs().keys()])('%s', (name) => {
    const { graph, ctx } = joint(exampleSpec(name), 'f32');
    const after = simplified(graph, ctx);
    const { fired } = simplifyGraph(eliminateCommonSubexpressions(eliminateDeadCode(graph)));
    const header = fired.map((f) => `# ${f.rule} at ${f.node}\n`).join('');
    const text = `${header}# ${graph.nodes.length} nodes before, ${after.nodes.length} after\n${printGraph(after)}`;
    const file = `${name}.simplify.txt`;
    const { reference } = baseline(file, text);
    expect(reference, `missing test/baselines/reference/${file}: run npm run baseline:accept`).toBeDefined();
    expect(text, `${file} differs from its reference`).toBe(reference);
  });
});
