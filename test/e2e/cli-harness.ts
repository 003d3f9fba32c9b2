// Runs the `chainrule` CLI for e2e tests: in this process (fast; output captured, exit code
// restored) or as a real process (to see exactly what a user sees, stack traces included).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const capture =
    (sink: string[]) =>
    (chunk: string | Uint8Array): boolean => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err));
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.chdir(cwd);
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = undefined;
  }
}

export function cliProcess(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/chainrule.js', ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      },
    );
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `chainrule-${prefix}-`));
}

/** `metrics.json` of a run, without timings (which legitimately differ between runs). */
export interface Metrics {
  readonly status: string;
  readonly final: { readonly epoch: number; readonly valAccuracy: number | null; readonly trainAccuracy: number };
  readonly epochs: readonly Record<string, number | null>[];
}

export function withoutTimings(m: Metrics): unknown {
  return { ...m, epochs: m.epochs.map(({ trainSeconds: _t, stepsPerSecond: _s, ...rest }) => rest) };
}
