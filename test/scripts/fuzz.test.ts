// The quick slice of the fuzz campaign (`npm run fuzz` runs the full one): every input set, in
// child processes with time and memory limits, must end in no crash, hang, out-of-memory or
// silent wrong result, and must exercise both acceptance and rejection.
import { describe, expect, it } from 'vitest';
import { QUICK_COUNTS, failures, runCampaign, summary, tally } from '../../scripts/fuzz/campaign.js';
import { INTERNAL_MESSAGE, isLocated, SETS } from '../../scripts/fuzz/types.js';

describe('fuzz campaign, quick slice', () => {
  it('no crash, hang, out-of-memory or silent wrong result in any set', { timeout: 240_000 }, async () => {
    const result = await runCampaign({ seed: 19, counts: QUICK_COUNTS, workers: 2, bigCsvMb: 0 });
    expect(failures(result), summary(result, 19)).toEqual([]);
    for (const set of SETS) {
      const t = tally(result.results, set);
      expect(t.cases, set).toBe(QUICK_COUNTS[set]);
      // A slice that only accepts or only rejects would prove little.
      expect(t.accepted, set).toBeGreaterThan(0);
      expect(t.located + t.unlocated, set).toBeGreaterThan(0);
    }
  });
});

describe('fuzz classification', () => {
  it('tells engine failures from chainrule messages', () => {
    expect(INTERNAL_MESSAGE.test('Maximum call stack size exceeded')).toBe(true);
    expect(INTERNAL_MESSAGE.test("Cannot read properties of undefined (reading 'shape')")).toBe(true);
    expect(INTERNAL_MESSAGE.test('x_ is not defined')).toBe(true);
    expect(INTERNAL_MESSAGE.test("output 'soft4' is not defined")).toBe(false);
    expect(INTERNAL_MESSAGE.test("data.csv:3: column 'a' 'abc' is not a number")).toBe(false);
  });

  it('calls an error located when it names a line, a tensor, a key or a field', () => {
    expect(isLocated('spec.json:3:14: error: unknown op')).toBe(true);
    expect(isLocated("w.safetensors: tensor 'fc1.weight' holds NaN at index 3")).toBe(true);
    expect(isLocated("its metadata 'run.batchSize' must be an integer")).toBe(true);
    expect(isLocated('the header is not JSON')).toBe(false);
  });
});
