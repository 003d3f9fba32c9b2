// A spec is checked, and its forward IR built, once per compile: the checked spec carries the graph
// to the pipeline, and the API and every command take it instead of checking again. A spy wraps
// the real buildGraph (the module is mocked with itself) to count the builds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as buildModule from '../../compiler/frontend/build-graph.js';
import { compile, load } from '../../src/api.js';
import { main } from '../../src/cli/main.js';
import { graph } from '../../src/frontend/builder.js';
import { loadSpecFile } from '../../src/frontend/load.js';
import * as validateModule from '../../src/frontend/validate.js';
import { exampleSpec } from '../support/examples.js';

vi.mock('../../compiler/frontend/build-graph.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../compiler/frontend/build-graph.js')>();
  return { ...actual, buildGraph: vi.fn(actual.buildGraph) };
});

vi.mock('../../src/frontend/validate.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/frontend/validate.js')>();
  return { ...actual, validateSpec: vi.fn(actual.validateSpec) };
});

const builds = vi.mocked(buildModule.buildGraph);
const validations = vi.mocked(validateModule.validateSpec);
const SPEC = 'examples/iris_mlp.json';
const dir = mkdtempSync(join(tmpdir(), 'chainrule-check-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  builds.mockClear();
  validations.mockClear();
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('one buildGraph per compile', () => {
  it('compile(path), compile(spec object) and load(path) build once each', async () => {
    const fromPath = compile(SPEC);
    expect(validations).toHaveBeenCalledTimes(1);
    expect(builds).toHaveBeenCalledTimes(1);
    builds.mockClear();
    const fromObject = compile(exampleSpec('iris_mlp'));
    expect(builds).toHaveBeenCalledTimes(1);
    expect(fromObject.source).toBe(fromPath.source);
    builds.mockClear();
    await load(SPEC, { seed: 1 });
    expect(builds).toHaveBeenCalledTimes(1);
  });

  it('a loaded or builder-checked spec is not checked again', () => {
    const loaded = loadSpecFile(SPEC, { dtype: 'f64', batch: 4 });
    if (!loaded.ok) throw new Error('iris must load');
    const compiled = compile(loaded);
    expect(builds).toHaveBeenCalledTimes(1);
    expect([compiled.dtype, compiled.batch]).toEqual(['f64', 4]);
    expect(compiled.source).toBe(compile(SPEC, { dtype: 'f64', batch: 4 }).source);

    builds.mockClear();
    const checked = graph('tiny').input('x', [null, 2]).linear('fc', 3).softmax('p').output('p').check();
    if (!checked.ok) throw new Error('tiny must check');
    compile(checked);
    expect(builds).toHaveBeenCalledTimes(1);
  });

  it('checks a checked spec again only for another dtype or batch, and then once', () => {
    const loaded = loadSpecFile(SPEC, { dtype: 'f32' });
    if (!loaded.ok) throw new Error('iris must load');
    builds.mockClear();
    const compiled = compile(loaded, { dtype: 'f64' });
    expect(builds).toHaveBeenCalledTimes(1);
    expect(compiled.graph.nodes.find((n) => n.name === 'x')?.type.dtype).toBe('f64');
  });

  it.each([
    ['check', [SPEC]],
    ['ir --grad', [SPEC, '--grad']],
    ['explain', [SPEC]],
    ['draw', [SPEC, '--format', 'dot']],
    ['compile', [SPEC, '--out', join(dir, 'iris'), '--quiet']],
    ['export', [SPEC, '--format', 'onnx', '--out', join(dir, 'iris.onnx')]],
    ['run', ['examples/learn/two_layer.json', '--input', 'x=[[1,2,0]]', '--target', 'y=[1]']],
  ])('chainrule %s validates and builds once', async (command, args) => {
    const out = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const code = await main([command.split(' ')[0] ?? '', ...args, ...command.split(' ').slice(1)]);
    out.mockRestore();
    expect(code).toBe(0);
    expect(validations).toHaveBeenCalledTimes(1);
    expect(builds).toHaveBeenCalledTimes(1);
  });
});
