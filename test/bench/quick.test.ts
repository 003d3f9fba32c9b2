// The quick-mode harness, in-process on Iris MLP with few iterations: every available peer runs, the
// peers agree with each other after the first step, a wrong peer is caught, the report renders,
// and the child-process protocol round-trips. Never asserts a speed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainrulePeers, prepareModule } from '../../bench/chainrule-module.js';
import { runJobInChild } from '../../bench/child.js';
import { quickPlan, runJob, type Job, type JobResult } from '../../bench/job.js';
import { peers } from '../../bench/peers/index.js';
import type { PeerId } from '../../bench/peers/peer.js';
import { buildReport, renderMarkdown } from '../../bench/report.js';
import { runSuite, type BenchmarkResult } from '../../bench/suite.js';
import { disagreement, judge } from '../../bench/validate.js';
import { findBenchmark, type Benchmark } from '../../bench/workloads.js';
import type { KernelMode } from '../../src/api.js';

const w1 = findBenchmark('w1-train');
/** Iris MLP's network for inference at an odd batch: the one workload onnxruntime can join on Iris MLP. */
const w1Forward: Benchmark = {
  id: 'w1-forward',
  title: 'Iris MLP forward',
  spec: 'w1.json',
  batch: 5,
  mode: 'forward',
  metric: 'throughput',
};
const plan = { ...quickPlan, timedMs: 5 };
const cacheDir = mkdtempSync(join(tmpdir(), 'chainrule-bench-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
const modules = new Map<string, string>();
/** The module the parent would compile for a chainrule peer (once per benchmark and kernel mode in this file). */
function moduleFor(benchmark: Benchmark, kernels: KernelMode = 'auto'): string {
  const key = `${benchmark.id}-${kernels}`;
  const path = modules.get(key) ?? prepareModule(benchmark, cacheDir, kernels).path;
  modules.set(key, path);
  return path;
}
const job = (benchmark: Benchmark, peer: PeerId): Job => {
  const kernels = chainrulePeers.get(peer);
  return {
    benchmark,
    peer,
    seed: 3,
    plan,
    ...(kernels === undefined ? {} : { module: moduleFor(benchmark, kernels) }),
  };
};
const trainingPeers = ['chainrule', 'js-reference', 'tfjs-cpu', 'tfjs-wasm'] as const;

function ok(result: JobResult): Extract<JobResult, { status: 'ok' }> {
  if (result.status !== 'ok')
    throw new Error(`${result.peer} on ${result.benchmark}: ${result.status}: ${result.message}`);
  return result;
}

describe('bench --quick harness on Iris MLP', () => {
  const cache = new Map<PeerId, Promise<JobResult>>();
  const w1Run = (peer: PeerId): Promise<JobResult> => {
    const run = cache.get(peer) ?? runJob(job(w1, peer));
    cache.set(peer, run);
    return run;
  };

  it('every training peer runs and reports two losses, a timing and the process RSS', async () => {
    for (const peer of trainingPeers) {
      const r = ok(await w1Run(peer));
      expect(r.validation.losses).toHaveLength(2);
      // Plain SGD at lr 0.1 on one fixed batch lowers the loss.
      expect(r.validation.losses![1]!).toBeLessThan(r.validation.losses![0]!);
      expect(r.timing.iterations).toBeGreaterThanOrEqual(1);
      expect(r.timing.perSecond).toBeGreaterThan(0);
      expect(r.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    }
  });

  it('all peers, chainrule included, agree on the losses after the first step (1e-4)', async () => {
    const results = await Promise.all(trainingPeers.map((p) => w1Run(p)));
    const validations = results.map((r) => [r.peer, ok(r).validation] as const);
    const verdicts = judge(validations);
    expect(verdicts.failed.size).toBe(0);
    expect(verdicts.reference).toBe('chainrule');
    // chainrule against the independent hand-written kernels, step by step.
    expect(disagreement(ok(results[1]!).validation, ok(results[0]!).validation)).toBeUndefined();
  });

  it('chainrule reports its arena and fixed batch, and refuses to run without a compiled module', async () => {
    const r = ok(await w1Run('chainrule'));
    expect(r.info['batch']).toBe(16);
    expect(r.info['arenaBytes']).toBeGreaterThan(0);
    const missing = await runJob({ benchmark: w1, peer: 'chainrule', seed: 3, plan });
    expect(missing).toMatchObject({ status: 'error', message: expect.stringMatching(/needs job\.module/) });
  });

  it('chainrule refuses a module compiled for another batch', async () => {
    const wrong = await runJob({ ...job(w1, 'chainrule'), module: moduleFor(w1Forward) });
    expect(wrong).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/compiled for batch 5, the workload needs 16/),
    });
  });

  it('onnxruntime (ONNX model from `chainrule export`) and chainrule match the JS forward pass', async () => {
    const reference = ok(await runJob(job(w1Forward, 'js-reference'))).validation;
    const onnx = ok(await runJob(job(w1Forward, 'onnxruntime'))).validation;
    expect(onnx.output).toHaveLength(5 * 3);
    expect(disagreement(reference, onnx)).toBeUndefined();
    const chainrule = ok(await runJob(job(w1Forward, 'chainrule'))).validation;
    expect(disagreement(reference, chainrule)).toBeUndefined();
  });

  it('a peer that disagrees is reported failed, not timed, and the others stay the reference', async () => {
    const real = ok(await w1Run('js-reference'));
    const skewed = (peer: PeerId, factor: number): JobResult => ({
      ...real,
      peer,
      validation: { losses: real.validation.losses!.map((l) => l * factor) },
    });
    const fake = async (j: Job): Promise<JobResult> =>
      j.peer === 'tfjs-cpu' ? skewed('tfjs-cpu', 1.001) : j.peer === 'js-reference' ? real : skewed(j.peer, 1 + 1e-6);
    const results = await runSuite(
      { benchmarks: [w1], peers: ['tfjs-cpu', 'js-reference', 'tfjs-wasm'], runs: 2, plan, seed: 3, concurrency: 1 },
      fake,
    );
    const outcomes = results[0]!.outcomes;
    const cpu = outcomes.find((o) => o.peer === 'tfjs-cpu')!;
    expect(cpu.status).toBe('failed');
    expect(cpu.message).toMatch(/loss after 0 step/);
    expect(cpu.samples).toHaveLength(0);
    // tfjs-cpu is listed first but alone against two agreeing peers, so it cannot be the reference.
    expect(results[0]!.reference).toBe('js-reference');
    expect(outcomes.find((o) => o.peer === 'tfjs-wasm')!.samples).toHaveLength(2);
    expect(renderMarkdown(buildReport(results, { mode: 'quick', runs: 2, seed: 3 }))).toMatch(
      /tfjs cpu \| \*\*FAILED\*\*/,
    );
  });

  it('runs the suite in-process and renders every peer into the report', async () => {
    const ids = peers.map((p) => p.id);
    const results = await runSuite({ benchmarks: [w1], peers: ids, runs: 1, plan, seed: 3, concurrency: 1 }, (j) =>
      w1Run(j.peer),
    );
    const report = buildReport(results, { mode: 'quick', runs: 1, seed: 3 });
    const markdown = renderMarkdown(report);
    for (const p of peers) expect(markdown).toContain(`| ${p.label} |`);
    const w1Summary = report.benchmarks[0]!;
    expect(w1Summary.peers.filter((p) => p.status === 'failed' || p.status === 'error')).toEqual([]);
    const cpu = w1Summary.peers.find((p) => p.peer === 'tfjs-cpu')!;
    expect(cpu.runs).toBe(1);
    expect(cpu.gflops).toBeGreaterThan(0);
    expect(markdown).toContain('Iris MLP training ≥ 40× tfjs-cpu');
    expect(report.subject).toBe('chainrule');
    expect(markdown).toContain('| chainrule vs | Iris MLP train |');
    expect(report.targets.find((t) => t.benchmark === 'w1-train')!.verdict).not.toBe('n/a');
  });

  it('round-trips a job through a fresh worker process', async () => {
    const r = ok(await runJobInChild(job(w1, 'js-reference')));
    const inProcess = ok(await w1Run('js-reference'));
    // Same seed, same kernels: bit-identical losses across processes.
    expect(r.validation.losses).toEqual(inProcess.validation.losses);
  });

  it("a chainrule worker imports the compiled file only, so its RSS stays near plain Node's", async () => {
    const r = ok(await runJobInChild(job(w1, 'chainrule')));
    expect(r.validation.losses).toEqual(ok(await w1Run('chainrule')).validation.losses);
    // Node + tsx + Iris MLP's model is ~80 MiB; loading the compiler (ts-morph, esbuild) costs ~120 MiB more.
    expect(r.rssBytes).toBeLessThan(140 * 2 ** 20);
  });
});

describe('suite bookkeeping', () => {
  it("skips peers without the benchmark's mode instead of running them", async () => {
    const seen: string[] = [];
    const results: BenchmarkResult[] = await runSuite(
      { benchmarks: [w1], peers: ['onnxruntime'], runs: 1, plan, seed: 3, concurrency: 1 },
      async (j) => {
        seen.push(j.peer);
        return { benchmark: j.benchmark.id, peer: j.peer, status: 'error', message: 'should not run' };
      },
    );
    expect(seen).toEqual([]);
    expect(results[0]!.outcomes[0]!.status).toBe('unavailable');
  });
});
