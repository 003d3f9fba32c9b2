// Runs one job in a fresh `node --import tsx bench/worker.ts` process, so every measurement starts
// from a cold JIT and its own heap, and peak RSS belongs to that peer alone.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job, JobResult } from './job.js';
import { encodeJob, parseResultLine } from './protocol.js';

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Generous: the slowest full-mode job (tfjs-cpu on wide MNIST MLP) takes well under a minute. */
const TIMEOUT_MS = 180_000;

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

export function runJobInChild(job: Job): Promise<JobResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', workerPath, encodeJob(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const fail = (message: string): void =>
      resolve({ benchmark: job.benchmark.id, peer: job.peer, status: 'error', message });
    child.on('error', (error) => fail(`could not start the worker: ${error.message}`));
    child.on('close', (code, signal) => {
      const result = parseResultLine(stdout);
      if (result) return resolve(result);
      const why = signal
        ? `killed by ${signal}${signal === 'SIGTERM' ? ` (timeout ${TIMEOUT_MS / 1000} s?)` : ''}`
        : `exit code ${code}`;
      fail(`worker printed no result (${why}): ${lastLines(stderr, 5) || '(no stderr)'}`);
    });
  });
}
