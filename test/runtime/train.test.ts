// The training loop, checkpoints and progress, driven by the hand-written fixture model
// (test/fixtures/softmax-regression.ts) so they are tested independently of the code generator.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FILE,
  readCheckpoint,
  readWeights,
  writeCheckpoint,
  writeWeights,
  type RunInfo,
} from '../../runtime/checkpoint.js';
import { renderTrainingCurve } from '../../runtime/chart.js';
import { applyStandardizer, fitStandardizer, loadIris, splitDataset } from '../../runtime/datasets/index.js';
import { checkDataFits, describeModel } from '../../runtime/feed.js';
import { loadModuleSource } from '../../runtime/load-module.js';
import { accuracy, confusionMatrix, formatConfusionMatrix } from '../../runtime/metrics.js';
import type { ModelModule } from '../../runtime/model.js';
import { formatEpochLine, progressReporter } from '../../runtime/progress.js';
import { evaluate, train, type EpochMetrics } from '../../runtime/train.js';

const source = readFileSync(new URL('../fixtures/softmax-regression.ts', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'chainrule-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function irisData() {
  const { train: t, val } = splitDataset(loadIris(), 0.2, 1);
  const s = fitStandardizer(t);
  return { train: applyStandardizer(t, s), val: applyStandardizer(val!, s), standardizer: s };
}

async function load(lr = 0.1): Promise<ModelModule> {
  return loadModuleSource(source.replace('const LR = 0.1;', `const LR = ${lr};`), 'softmax_regression');
}

const units = new Map([['fc', 3]]);

describe('train', () => {
  it('learns Iris with a linear softmax model and reports per-epoch metrics', async () => {
    const mod = await load();
    const io = describeModel(mod.modelInfo);
    const data = irisData();
    checkDataFits(io, data.train);
    const model = mod.createModel({ seed: 1 });
    const before = evaluate(model, io, data.val, 16);
    const epochs: EpochMetrics[] = [];
    const result = train(model, io, {
      epochs: 30,
      batchSize: 16,
      seed: 1,
      train: data.train,
      val: data.val,
      callbacks: { onEpochEnd: (m) => epochs.push(m) },
    });
    expect(result.status).toBe('done');
    expect(epochs.map((m) => m.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(epochs[0]!.steps).toBe(Math.ceil(120 / 16)); // 8 steps: the last batch has 8 rows
    const last = epochs[29]!;
    expect(last.valAccuracy!).toBeGreaterThanOrEqual(0.9);
    expect(last.valLoss!).toBeLessThan(before.loss);
    expect(last.trainLoss).toBeLessThan(epochs[0]!.trainLoss);
    const after = evaluate(model, io, data.val, 7);
    expect(after.accuracy).toBe(last.valAccuracy);
    expect(accuracy(after.predictions, data.val.labels)).toBe(after.accuracy);
    const cm = confusionMatrix(after.predictions, data.val.labels, 3);
    expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(30);
    expect(formatConfusionMatrix(cm, data.val.classNames).split('\n')[0]).toMatch(
      /^true\\pred\s+setosa\s+versicolor\s+virginica\s+recall$/,
    );
  });

  it('is deterministic: the same seed gives identical metrics and weights', async () => {
    const mod = await load();
    const io = describeModel(mod.modelInfo);
    const data = irisData();
    const run = (seed: number) => {
      const model = mod.createModel({ seed });
      const r = train(model, io, { epochs: 3, batchSize: 8, seed, train: data.train, val: data.val });
      if (r.status !== 'done') throw new Error('diverged');
      return {
        params: model.toJSON().params,
        metrics: r.state.history.map(({ trainSeconds: _t, stepsPerSecond: _s, ...m }) => m),
      };
    };
    const a = run(4);
    expect(run(4)).toEqual(a);
    expect(run(5).params).not.toEqual(a.params);
  });

  it('2 epochs ≡ 1 epoch, checkpoint to disk, resume for 1 (bit-identical)', async () => {
    const mod = await load();
    const io = describeModel(mod.modelInfo);
    const data = irisData();
    const straight = mod.createModel({ seed: 2 });
    train(straight, io, { epochs: 2, batchSize: 16, seed: 9, train: data.train, val: data.val });

    const first = mod.createModel({ seed: 2 });
    const r1 = train(first, io, { epochs: 1, batchSize: 16, seed: 9, train: data.train, val: data.val });
    if (r1.status !== 'done') throw new Error('diverged');
    const run: RunInfo = {
      data: 'iris',
      seed: 9,
      valSplit: 0.2,
      batchSize: 16,
      lr: 0.1,
      epochs: 2,
      classNames: data.train.classNames,
      standardizer: data.standardizer,
    };
    const path = join(dir, CHECKPOINT_FILE);
    writeCheckpoint(path, { model: 'softmax_regression', dtype: 'f32', run, state: r1.state }, units);

    const ckpt = readCheckpoint(path);
    expect(ckpt.run).toEqual(run);
    expect(ckpt.state.epoch).toBe(1);
    expect(Object.keys(ckpt.state.model.state).sort()).toEqual(['fc.bias.v', 'fc.weight.v']);
    const resumed = mod.createModel({ seed: 123 }); // init is overwritten by the checkpoint
    const r2 = train(resumed, io, {
      epochs: 2,
      batchSize: 16,
      seed: 9,
      train: data.train,
      val: data.val,
      resume: ckpt.state,
    });
    if (r2.status !== 'done') throw new Error('diverged');
    for (const [name, p] of Object.entries(straight.params)) expect(resumed.params[name]).toEqual(p);
    expect(r2.state.history).toHaveLength(2);
    expect(r2.state.history[0]).toEqual(r1.state.history[0]);
  });

  it('resumes bit-identically with augmentation too (its draws come from the saved RNG)', async () => {
    const mod = await load();
    const io = describeModel(mod.modelInfo);
    const data = irisData();
    // Iris rows read as 2×2 "images", just to exercise the shift draws.
    const augment = { width: 2, height: 2, maxShift: 1 };
    const straight = mod.createModel({ seed: 2 });
    train(straight, io, { epochs: 3, batchSize: 16, seed: 9, train: data.train, augment });
    const first = mod.createModel({ seed: 2 });
    const r1 = train(first, io, { epochs: 1, batchSize: 16, seed: 9, train: data.train, augment });
    if (r1.status !== 'done') throw new Error('diverged');
    const resumed = mod.createModel({ seed: 2 });
    train(resumed, io, { epochs: 3, batchSize: 16, seed: 9, train: data.train, augment, resume: r1.state });
    expect(resumed.params['fc.weight']).toEqual(straight.params['fc.weight']);
    const plain = mod.createModel({ seed: 2 });
    train(plain, io, { epochs: 3, batchSize: 16, seed: 9, train: data.train });
    expect(plain.params['fc.weight']).not.toEqual(straight.params['fc.weight']);
  });

  it('stops a diverging run with the last good state', async () => {
    const data = irisData();
    const good = await load();
    const io = describeModel(good.modelInfo);
    const r1 = train(good.createModel({ seed: 1 }), io, { epochs: 2, batchSize: 16, seed: 1, train: data.train });
    if (r1.status !== 'done') throw new Error('diverged too early');
    // The same run continued with an absurd learning rate blows up in epoch 3.
    const bad = await load(1e20);
    const seen: number[] = [];
    const r = train(bad.createModel({ seed: 1 }), io, {
      epochs: 5,
      batchSize: 16,
      seed: 1,
      train: data.train,
      resume: r1.state,
      callbacks: { onEpochEnd: (m) => seen.push(m.epoch) },
    });
    expect(r.status).toBe('diverged');
    if (r.status !== 'diverged') return;
    expect(seen).toEqual([]);
    expect(r.at.epoch).toBe(3);
    expect(Number.isFinite(r.at.loss)).toBe(false);
    expect(r.lastGood).toBe(r1.state);
    // Diverging in the very first epoch leaves no good state to keep.
    const fresh = train(bad.createModel({ seed: 1 }), io, { epochs: 5, batchSize: 16, seed: 1, train: data.train });
    expect(fresh.status === 'diverged' && fresh.lastGood === undefined && fresh.at.epoch === 1).toBe(true);
  });
});

describe('weights files', () => {
  it('writes [in,out] weight shapes and the run info; reads them back', async () => {
    const mod = await load();
    const model = mod.createModel({ seed: 1 });
    const path = join(dir, 'weights.safetensors');
    const run: RunInfo = {
      data: 'iris',
      seed: 1,
      valSplit: 0.2,
      batchSize: 16,
      lr: 0.1,
      epochs: 1,
      classNames: ['a', 'b', 'c'],
      standardizer: null,
    };
    writeWeights(path, { model: 'softmax_regression', dtype: 'f32', epoch: 1, params: model.params, run }, units);
    const w = readWeights(path);
    expect(w.model).toBe('softmax_regression');
    expect(w.run).toEqual(run);
    expect(w.params['fc.weight']).toEqual(model.params['fc.weight']);
    const header = JSON.parse(
      readFileSync(path)
        .subarray(8, 8 + readFileSync(path).readUInt32LE(0))
        .toString(),
    ) as Record<string, { shape: number[] }>;
    expect(header['fc.weight']!.shape).toEqual([4, 3]);
    expect(header['fc.bias']!.shape).toEqual([3]);
    expect(() => readCheckpoint(path)).toThrow(/weights file, not a checkpoint/);
  });
});

describe('progress and chart', () => {
  const m: EpochMetrics = {
    epoch: 2,
    trainLoss: 0.5,
    trainAccuracy: 0.875,
    valLoss: 0.25,
    valAccuracy: 0.9,
    steps: 10,
    trainSeconds: 0.5,
    stepsPerSecond: 20,
  };

  it('prints one line per epoch when not on a terminal, a live bar on one', () => {
    const out: string[] = [];
    const plain = progressReporter({ write: (s) => out.push(s), isTTY: false });
    plain.onEpochStart?.(2, 10, 10);
    plain.onStep?.({ epoch: 2, epochs: 10, step: 5, stepsPerEpoch: 10, loss: 1, accuracy: 0.5, seconds: 0.1 });
    plain.onEpochEnd?.(m, { epoch: 2, rngState: 0, model: { params: {}, state: {} }, history: [] });
    expect(out).toEqual([`${formatEpochLine(m, 10)}\n`]);
    expect(out[0]).toMatch(
      /^epoch {2}2\/10 {2}loss 0\.5000 {2}acc {2}87\.50% {2}val_loss 0\.2500 {2}val_acc {2}90\.00% {2}20 steps\/s {2}0\.5s\n$/,
    );

    const tty: string[] = [];
    let t = 0;
    const live = progressReporter({ write: (s) => tty.push(s), isTTY: true, columns: 120 }, { now: () => t });
    live.onEpochStart?.(2, 10, 10);
    for (let step = 1; step <= 10; step++) {
      t += 30;
      live.onStep?.({
        epoch: 2,
        epochs: 10,
        step,
        stepsPerEpoch: 10,
        loss: 1 / step,
        accuracy: step / 10,
        seconds: t / 1000,
      });
    }
    expect(tty.length).toBeGreaterThan(1);
    expect(tty.length).toBeLessThan(10); // redraws are throttled
    expect(tty[tty.length - 1]).toMatch(/\[=+\] 10\/10 .*steps\/s {2}ETA 0\.0s/);
    const quiet: string[] = [];
    const q = progressReporter({ write: (s) => quiet.push(s), isTTY: true }, { quiet: true });
    q.onStep?.({ epoch: 1, epochs: 1, step: 1, stepsPerEpoch: 1, loss: 1, accuracy: 1, seconds: 1 });
    expect(quiet).toEqual([]);
  });

  it('renders a self-contained SVG with both curves, axes and a legend', () => {
    const history = [1, 2, 3].map((epoch) => ({ ...m, epoch, trainLoss: 1 / epoch, valLoss: 1.2 / epoch }));
    const svg = renderTrainingCurve(history, 'iris_mlp');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg).toContain('iris_mlp: loss');
    expect(svg).toContain('>validation<');
    expect(svg).toContain('>100%<');
    expect(svg).not.toMatch(/NaN|undefined|<script|href=/);
    expect(renderTrainingCurve(history, 'iris_mlp')).toBe(svg);
  });
});
