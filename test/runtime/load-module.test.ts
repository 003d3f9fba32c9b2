import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModuleSource } from '../../runtime/load-module.js';
import { load } from '../../src/api.js';
import { graph } from '../../src/index.js';
import { RuntimeError } from '../../runtime/errors.js';

const fixture = readFileSync(new URL('../fixtures/softmax-regression.ts', import.meta.url), 'utf8');

describe('loadModuleSource', () => {
  it('transpiles and imports a model module in-process', async () => {
    const mod = await loadModuleSource(fixture, 'softmax_regression');
    expect(mod.modelInfo.name).toBe('softmax_regression');
    const model = mod.createModel({ seed: 3 });
    const probs = model.forward({ x: new Float32Array([1, 2, 3, 4, 0, 0, 0, 0]) })['probs']!;
    expect(probs).toHaveLength(6);
    expect(probs[0]! + probs[1]! + probs[2]!).toBeCloseTo(1, 6);
    // Same seed, same initial weights; another seed, others.
    expect(mod.createModel({ seed: 3 }).params['fc.weight']).toEqual(model.params['fc.weight']);
    expect(mod.createModel({ seed: 4 }).params['fc.weight']).not.toEqual(model.params['fc.weight']);
  });

  it('rejects a module that is not a chainrule model, saying what is missing', async () => {
    await expect(loadModuleSource('export const x: number = 1;', 'not_a_model')).rejects.toThrow(
      /'not_a_model' is not a chainrule model module: it does not export a function `createModel`/,
    );
    const noInfo = 'export function createModel() { return {}; }';
    await expect(loadModuleSource(noInfo, 'm')).rejects.toThrow(/does not export `modelInfo`/);
    const noMethods = fixture.replace(
      'return { params, grads, forward, lossAndGrads, trainStep, predict, toJSON, loadParams };',
      'return { params, grads, forward, lossAndGrads, predict, toJSON, loadParams };',
    );
    await expect(loadModuleSource(noMethods, 'm')).rejects.toThrow(/has only one of `lossAndGrads` and `trainStep`/);
  });

  it('reports TypeScript syntax errors as a RuntimeError', async () => {
    const err = await loadModuleSource('export const = ;', 'broken').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toMatch(/cannot transpile model module 'broken'/);
  });
});

describe('specs without a loss', () => {
  const spec = (targets: boolean) => {
    const g = graph('infer').input('x', [null, 4]);
    return (targets ? g.target('y', [null]) : g).linear('fc', 3).softmax('p').output('p').build();
  };

  it.each([false, true])(
    'load an inference-only model (unused targets: %s): forward and predict work, training says why not',
    async (targets) => {
      const model = await load(spec(targets));
      const x = new Float32Array([1, 2, 3, 4, -1, -2, -3, -4]);
      expect(model.forward({ x })['p']).toHaveLength(6);
      expect(model.predict?.({ x })).toHaveLength(2);
      const err = (() => {
        try {
          model.trainStep({ x }, {});
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as RuntimeError).message).toBe("model 'infer' has no loss, so it has no training step or gradients");
      expect(() => model.lossAndGrads({ x }, {})).toThrow(/has no loss/);
    },
  );
});
