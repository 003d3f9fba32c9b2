// The parent ↔ worker wire format: jobs round-trip, bad jobs say what is wrong, and a result is
// found among whatever else the frameworks print.
import { describe, expect, it } from 'vitest';
import { quickPlan, type JobResult } from '../../bench/job.js';
import { decodeJob, encodeJob, formatResultLine, parseResultLine } from '../../bench/protocol.js';
import { findBenchmark } from '../../bench/workloads.js';

describe('bench worker protocol', () => {
  it('round-trips a job, carrying the benchmark by id', () => {
    const job = { benchmark: findBenchmark('w3-forward'), peer: 'tfjs-wasm' as const, seed: 9, plan: quickPlan };
    expect(decodeJob(encodeJob(job))).toEqual(job);
    expect(JSON.parse(encodeJob(job)).benchmark).toBe('w3-forward');
    const withModule = { ...job, peer: 'chainrule' as const, module: '/tmp/w3-b128-0123456789ab.js' };
    expect(decodeJob(encodeJob(withModule))).toEqual(withModule);
  });

  it('rejects malformed jobs with the field at fault', () => {
    const good = { benchmark: 'w1-train', peer: 'js-reference', seed: 1, plan: quickPlan };
    expect(() => decodeJob(JSON.stringify({ ...good, peer: 'pytorch' }))).toThrow(/job\.peer: unknown peer "pytorch"/);
    expect(() => decodeJob(JSON.stringify({ ...good, benchmark: 'w9-train' }))).toThrow(
      /unknown benchmark 'w9-train'; expected one of: w1-train/,
    );
    expect(() => decodeJob(JSON.stringify({ ...good, plan: { ...quickPlan, timedMs: -1 } }))).toThrow(
      /job\.plan\.timedMs/,
    );
    expect(() => decodeJob('[]')).toThrow(/job\.benchmark/);
    expect(() => decodeJob(JSON.stringify({ ...good, module: 7 }))).toThrow(/job\.module must be the path/);
  });

  it('finds the marked result line among framework banners', () => {
    const result: JobResult = { benchmark: 'w1-train', peer: 'tfjs-cpu', status: 'error', message: 'boom' };
    const stdout = `====\nHi, looks like you are running TensorFlow.js in Node.js\n====\n${formatResultLine(result)}`;
    expect(parseResultLine(stdout)).toEqual(result);
    expect(parseResultLine('Hi there\n')).toBeUndefined();
  });
});
