// `npm run bench -- --quick` exactly as CI and a user run it: a real process over every workload
// and every peer. It checks the harness and that all peers agree after the first step (1e-4);
// it never judges a speed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../e2e/cli-harness.js';

interface PeerResult {
  readonly peer: string;
  readonly status: string;
  readonly deviation?: number;
  readonly perSecond?: { readonly median: number };
}
interface Results {
  readonly mode: string;
  readonly benchmarks: readonly {
    readonly benchmark: { readonly id: string };
    readonly peers: readonly PeerResult[];
  }[];
}

const out = mkdtempSync(join(tmpdir(), 'chainrule-bench-quick-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run bench -- --quick (real process)', () => {
  it('exits 0; every workload ran every peer that can run it, and all agree to 1e-4', async () => {
    const code = await new Promise<number>((resolve) => {
      execFile(
        'npm',
        ['run', 'bench', '--', '--quick', '--out', out],
        { cwd: root, env: { ...process.env, CI: 'true' } },
        (err) => resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1),
      );
    });
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.mode).toBe('quick');
    expect(results.benchmarks.map((b) => b.benchmark.id)).toEqual([
      'w1-train',
      'w2-train',
      'w3-train',
      'w2-forward',
      'w3-forward',
      'w4-forward',
    ]);
    for (const b of results.benchmarks) {
      const ran = b.peers.filter((p) => p.status !== 'unavailable');
      // The three chainrule kernel modes and both tfjs backends run every workload.
      expect(
        ran.map((p) => p.peer),
        b.benchmark.id,
      ).toEqual(expect.arrayContaining(['chainrule', 'chainrule-js', 'chainrule-wasm', 'tfjs-cpu', 'tfjs-wasm']));
      for (const p of ran) {
        expect(p.status, `${b.benchmark.id} / ${p.peer}`).toBe('ok');
        expect(p.deviation ?? 0, `${b.benchmark.id} / ${p.peer}`).toBeLessThanOrEqual(1e-4);
        expect(p.perSecond?.median ?? 0).toBeGreaterThan(0);
      }
    }
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/^# chainrule benchmark results/);
  }, 420_000);
});
