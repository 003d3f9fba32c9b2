// `chainrule run`: the lecture's softmax table, a backward pass whose gradients agree with the
// closed form (p − y)/n, CSV input, the initial parameters of a generated module, and located
// errors for bad values.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialParams } from '../../../compiler/interp/init-params.js';
import { buildGraph } from '../../../compiler/frontend/build-graph.js';
import { loadModule } from '../../../src/api.js';
import { cli } from '../../e2e/cli-harness.js';
import { exampleSpec } from '../../support/examples.js';

const LECTURE = '[[1,2,0],[-1,0,1],[-10,0,10]]';

/** The numbers of the table printed under the header line that starts with `header`. */
function table(stdout: string, header: string): number[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(header));
  if (start < 0) throw new Error(`no '${header}' in:\n${stdout}`);
  const rows: number[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    rows.push(line.trim().split(/\s+/).map(Number));
  }
  return rows;
}

describe('chainrule run', () => {
  it("prints the lecture's softmax table", async () => {
    const r = await cli(['run', 'examples/learn/softmax.json', '--input', `x=${LECTURE}`, '--dtype', 'f64']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      [
        '  p = softmax(x)  [3,3]',
        '      0.244728    0.665241  0.0900306',
        '     0.0900306    0.244728   0.665241',
        '    2.0611e-09  4.5398e-05   0.999955',
      ].join('\n'),
    );
    const p = table(r.stdout, 'p = softmax(x)');
    const x = JSON.parse(LECTURE) as number[][];
    x.forEach((row, i) => {
      const e = row.map((v) => Math.exp(v));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, j) => expect(p[i]?.[j]).toBeCloseTo(v / sum, 5));
    });
  });

  it('with a target prints the loss and gradients; ∂L/∂o is (p − y)/n', async () => {
    const r = await cli([
      'run',
      'examples/learn/two_layer.json',
      '--input',
      'x=[[1,2,0],[-1,0,1]]',
      '--target',
      'y=[2,0]',
      '--dtype',
      'f64',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^loss\n {2}L = loss = cross_entropy\(p, y\) = \d/m);
    // The spec's labels name the parameters, as in explain and the diagrams; their own lines give both names.
    for (const g of [
      '∂L/∂W⁽²⁾ = hᵀ· ∂L/∂o',
      "∂L/∂z = ∂L/∂h ⊙σ'(z)",
      '∂L/∂b⁽¹⁾ = Σrows ∂L/∂z',
      '∂L/∂h = ∂L/∂o ·W⁽²⁾ᵀ',
      'W⁽¹⁾ (z.weight): parameter · glorot_uniform  [3,4]',
      'z = x·W⁽¹⁾ + b⁽¹⁾  [2,4]',
    ])
      expect(r.stdout).toContain(g);
    const p = table(r.stdout, 'p = softmax(o)');
    const dO = table(r.stdout, '∂L/∂o =');
    const y = [2, 0];
    p.forEach((row, i) => row.forEach((v, j) => expect(dO[i]?.[j]).toBeCloseTo((v - (y[i] === j ? 1 : 0)) / 2, 5)));
  });

  it('reads a CSV file (header skipped) the same as inline JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainrule-run-'));
    const file = join(dir, 'x.csv');
    writeFileSync(file, 'a,b,c\n1,2,0\n-1,0,1\n-10,0,10\n');
    const fromCsv = await cli(['run', 'examples/learn/softmax.json', '--input', `x=${file}`, '--dtype', 'f64']);
    const fromJson = await cli(['run', 'examples/learn/softmax.json', '--input', `x=${LECTURE}`, '--dtype', 'f64']);
    expect(fromCsv.code).toBe(0);
    expect(fromCsv.stdout).toBe(fromJson.stdout);
    writeFileSync(file, '1,2,0\n-1,abc,1\n');
    const bad = await cli(['run', 'examples/learn/softmax.json', '--input', `x=${file}`]);
    expect([bad.code, bad.stdout]).toEqual([1, '']);
    expect(bad.stderr).toContain(`${file}:2:2: the value is 'abc', not a finite number`);
  });

  it.each([
    [['--input', 'x=[[1,2],[3,4]]'], '--input x: row 1 has 2 values, but a row of [B,3] has 3'],
    [['--input', 'x=[[1,2,null]]'], '--input x: row 1, column 3 is null, not a finite number'],
    [['--input', 'z=[[1,2,3]]'], "--input z: 'softmax' has no input named 'z'", 'its inputs: x'],
    [['--input', 'x=[[1,2,3'], "--input x: '[[1,2,3' is neither JSON nor a file"],
    [[], "no values for input 'x' [B,3]", "pass --input x='[[...]]'"],
  ])('rejects %j with a located message', async (args, message, hint = '') => {
    const r = await cli(['run', 'examples/learn/softmax.json', ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.stderr).toContain(hint);
  });

  it('rejects a class index outside the prediction', async () => {
    const r = await cli(['run', 'examples/learn/two_layer.json', '--input', 'x=[[1,2,0]]', '--target', 'y=[3]']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: --target y: row 1 is 3, not a class index 0…2');
  });

  it('starts from the parameters createModel() initializes', async () => {
    const spec = exampleSpec('two_layer_sigmoid');
    const built = buildGraph(spec, { dtype: 'f64' });
    if (!built.ok) throw new Error('example does not build');
    const model = (await loadModule(spec, { dtype: 'f64' })).createModel();
    const ours = initialParams(built.graph, spec.train?.seed ?? 1);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(model.params).sort());
    for (const [name, values] of Object.entries(ours))
      expect([...values], name).toEqual([...(model.params[name] ?? [])]);
  });
});
