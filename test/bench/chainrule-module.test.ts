// The parent compiles chainrule's modules once and hands them to the workers: one file per
// (spec, batch), named by its code, importable as plain JS; compile errors become the peer's error.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleKey, prepareModule, prepareModules, withChainruleModules } from '../../bench/chainrule-module.js';
import { quickPlan, type Job, type JobResult } from '../../bench/job.js';
import { findBenchmark, type Benchmark } from '../../bench/workloads.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'chainrule-module-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const w1 = findBenchmark('w1-train');
const broken: Benchmark = { ...w1, id: 'w9-train', spec: 'missing-w9.json' };

describe('chainrule modules for the bench', () => {
  it('writes importable JS with no imports, named <spec>-b<batch>-<hash>.js, stable across compiles', async () => {
    const first = prepareModule(w1, cacheDir);
    const again = prepareModule(w1, cacheDir);
    expect(basename(first.path)).toMatch(/^w1-b16-[0-9a-f]{12}\.js$/);
    expect(again.path).toBe(first.path);
    expect(first.kernels).toBeGreaterThan(0);
    const js = readFileSync(first.path, 'utf8');
    expect(js).not.toMatch(/^\s*import\s/m);
    expect(js).not.toMatch(/:\s*Float32Array\s*[,)=]/); // types stripped
    const mod: unknown = await import(pathToFileURL(first.path).href);
    expect(mod).toMatchObject({ modelInfo: { batch: 16, dtype: 'f32' } });
  });

  it('compiles one module per (spec, batch) and keeps a compile error instead of throwing', () => {
    const list = [findBenchmark('w2-train'), findBenchmark('w2-forward'), findBenchmark('w4-forward'), broken];
    const modules = prepareModules(list, cacheDir);
    expect([...modules.keys()]).toEqual(['w2-b64', 'w4-b1', 'missing-w9-b16']);
    expect(modules.get('w2-b64')?.ok).toBe(true);
    const failed = modules.get('missing-w9-b16');
    expect(failed?.ok).toBe(false);
    expect(failed?.ok === false && failed.message).toMatch(/^compile missing-w9\.json at batch 16: /);
  });

  it('gives chainrule jobs their module and compile facts, passes other peers through untouched', async () => {
    const seen: Job[] = [];
    const fake = async (job: Job): Promise<JobResult> => {
      seen.push(job);
      return {
        status: 'ok',
        benchmark: job.benchmark.id,
        peer: job.peer,
        validation: {},
        timing: { iterations: 1, seconds: 1, perSecond: 1, gcCount: 0, allocatedBytes: 0 },
        rssBytes: 1,
        info: { arenaBytes: 8 },
      };
    };
    const modules = prepareModules([w1, broken], cacheDir);
    const run = withChainruleModules(fake, modules);
    const job = (benchmark: Benchmark, peer: Job['peer']): Job => ({ benchmark, peer, seed: 1, plan: quickPlan });

    const chainrule = await run(job(w1, 'chainrule'));
    const tfjs = await run(job(w1, 'tfjs-cpu'));
    const failed = await run(job(broken, 'chainrule'));

    const prepared = modules.get(moduleKey(w1));
    if (!prepared?.ok) throw new Error(`Iris MLP did not compile: ${prepared?.message ?? 'missing'}`);
    expect(seen[0]?.module).toBe(prepared.module.path);
    expect(seen[1]?.module).toBeUndefined();
    expect(seen).toHaveLength(2); // the broken compile started no worker
    expect(chainrule.status === 'ok' && chainrule.info).toMatchObject({
      arenaBytes: 8,
      module: expect.stringMatching(/^w1-b16-/),
    });
    expect(tfjs.status === 'ok' && tfjs.info).toEqual({ arenaBytes: 8 });
    expect(failed).toMatchObject({
      status: 'error',
      peer: 'chainrule',
      message: expect.stringMatching(/missing-w9\.json/),
    });
  });
});
