// Ctrl-C during `train` keeps the last good state: a real process is signalled (SIGINT or
// SIGTERM) at random points; every time it exits 130 (or 0 if it had finished), leaves no
// temporary files, and its checkpoint, weights and metrics describe the same epoch. Resuming
// then gives weights byte-identical to a run that was never interrupted.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, readWeights } from '../../runtime/checkpoint.js';
import { Rng } from '../../runtime/rng.js';
import { cli, root, tempDir } from './cli-harness.js';

const dir = tempDir('interrupt');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// `npm test` runs a few; `npm run test:interrupt` runs the 20 of the acceptance check (~1-3 min).
const TRIALS = Number(process.env['CHAINRULE_INTERRUPT_TRIALS'] ?? 20);
const EPOCHS = 40;
const args = (out: string): string[] => [
  'train',
  'examples/xor_mlp.json',
  '--data',
  'xor',
  '--batch',
  '4',
  '--epochs',
  String(EPOCHS),
  '--quiet',
  '--no-diagrams',
  '--out',
  out,
];

/** Starts `train`, signals it `delayMs` after its first epoch line, resolves with the exit code. */
function interrupted(out: string, delayMs: number, signal: NodeJS.Signals): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/chainrule.js', ...args(out)], { cwd: root });
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      if (armed || !d.toString().includes('epoch')) return;
      armed = true;
      setTimeout(() => child.kill(signal), delayMs);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, sig) => resolve({ code: code ?? (sig === null ? -1 : 128), stderr }));
  });
}

describe('interrupting train', () => {
  it(`${TRIALS} signals at random points: exit 130, consistent files, no leftovers, resume is byte-identical`, async () => {
    const reference = join(dir, 'reference');
    const straight = await cli(args(reference));
    expect(straight.code).toBe(0);
    const want = readFileSync(join(reference, 'weights.safetensors'));

    const rng = new Rng(2026);
    const outcomes: string[] = [];
    // Processes run two at a time (two cores); resumes run in this process afterwards, one at a
    // time (the in-process CLI swaps stdout and the cwd, so it must not run concurrently).
    const trial = async (t: number): Promise<(() => Promise<void>) | undefined> => {
      const out = join(dir, `trial-${t}`);
      const delay = Math.floor(rng.next() * 1500);
      const r = await interrupted(out, delay, t % 2 === 0 ? 'SIGINT' : 'SIGTERM');
      const files = existsSync(out) ? readdirSync(out) : [];
      expect(
        files.filter((f) => f.endsWith('.tmp')),
        `trial ${t}: temp files left`,
      ).toEqual([]);
      // 128: the signal landed while Node was already tearing down after a finished run (its
      // handlers are gone by then); allowed only when the files say the run completed (checked below).
      expect([0, 128, 130], `trial ${t} (delay ${delay} ms): ${r.stderr}`).toContain(r.code);
      if (!files.includes('checkpoint.safetensors')) {
        expect(r.stderr).toMatch(/interrupted before the first epoch completed/);
        outcomes.push('before epoch 1');
        return undefined;
      }
      const ckpt = readCheckpoint(join(out, 'checkpoint.safetensors'));
      const weights = readWeights(join(out, 'weights.safetensors'));
      const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
        status: string;
        final: { epoch: number };
      };
      expect(weights.epoch).toBe(ckpt.state.epoch);
      expect(metrics.final.epoch).toBe(ckpt.state.epoch);
      const sameAsStraight = (): void => {
        const got = readFileSync(join(out, 'weights.safetensors'));
        expect(Buffer.compare(got, want), `trial ${t}: weights differ`).toBe(0);
      };
      if (r.code === 0 || r.code === 128) {
        expect(metrics.status).toBe('done');
        outcomes.push('finished');
        sameAsStraight();
        return undefined;
      }
      expect(metrics.status).toBe('interrupted');
      expect(r.stderr).toMatch(new RegExp(`epoch ${ckpt.state.epoch} is the last completed one`));
      expect(r.stderr).toMatch(/to continue: chainrule train .* --resume /);
      outcomes.push(`after epoch ${ckpt.state.epoch}`);
      return async () => {
        const resumed = await cli(['train', 'examples/xor_mlp.json', '--resume', out, '--quiet', '--no-diagrams']);
        expect(resumed.code, resumed.stderr).toBe(0);
        sameAsStraight();
      };
    };
    const resumes: (() => Promise<void>)[] = [];
    for (let t = 0; t < TRIALS; t += 2) {
      const pair = await Promise.all([trial(t), ...(t + 1 < TRIALS ? [trial(t + 1)] : [])]);
      for (const resume of pair) if (resume !== undefined) resumes.push(resume);
    }
    for (const resume of resumes) await resume();
    // The random points must actually land mid-run for the test to mean something.
    const midRun = outcomes.filter((o) => o.startsWith('after epoch')).length;
    expect(midRun, outcomes.join('; ')).toBeGreaterThanOrEqual(Math.max(1, Math.floor(TRIALS / 4)));
  }, 600_000);
});
