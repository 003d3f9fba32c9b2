// Baseline (golden) files: a test writes its fresh text to test/baselines/local/<file> and
// compares it with test/baselines/reference/<file>; `npm run baseline:accept` copies local →
// reference after a reviewed change.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('../baselines/', import.meta.url).pathname;

/** Writes the local baseline and returns the reference text (undefined when there is none yet). */
export function baseline(file: string, text: string): { local: string; reference: string | undefined } {
  const localPath = join(root, 'local', file);
  mkdirSync(dirname(localPath), { recursive: true });
  writeFileSync(localPath, text);
  const refPath = join(root, 'reference', file);
  return { local: text, reference: existsSync(refPath) ? readFileSync(refPath, 'utf8') : undefined };
}
