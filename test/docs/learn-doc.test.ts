// docs/learn.md stays true: every `$ chainrule …` command in its console blocks is run, and the
// lines printed under it must appear in the real output, in order (`…` stands for lines left
// out; training times are masked). The spirals runs are short (30 epochs) to keep this fast.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../e2e/cli-harness.js';

interface Step {
  readonly command: string;
  readonly expected: readonly string[];
}

/** The `$ chainrule` commands of the ```console blocks and the lines shown under each. */
function steps(markdown: string): Step[] {
  const found: { command: string; expected: string[] }[] = [];
  for (const block of markdown.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      if (line.startsWith('$ chainrule ')) found.push({ command: line.slice(2), expected: [] });
      else found.at(-1)?.expected.push(line);
    }
  }
  return found;
}

/** Shell words with single-quoted parts, as the doc writes them (`x='[[1,2,0]]'`). */
function words(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/(?:[^\s']+|'[^']*')+/g)) out.push(m[0].replaceAll("'", ''));
  return out;
}

const mask = (line: string): string => line.replace(/ in \d+(\.\d+)?s:/, ' in …s:').trimEnd();

/** The expected lines (without `…` and blank edges) appear in `actual` in this order. */
function missingLines(actual: string, expected: readonly string[]): string[] {
  const lines = actual.split('\n').map(mask);
  const wanted = expected.map(mask).filter((l) => l !== '…');
  while (wanted.at(-1) === '') wanted.pop();
  let at = 0;
  const missing: string[] = [];
  for (const w of wanted) {
    const found = lines.indexOf(w, at);
    if (found < 0) missing.push(w);
    else at = found + 1;
  }
  return missing;
}

const doc = readFileSync(new URL('../../docs/learn.md', import.meta.url), 'utf8');
const all = steps(doc);

describe('docs/learn.md', () => {
  it('has the steps of the path', () => {
    expect(all.map((s) => words(s.command)[1])).toEqual([
      'run',
      'run',
      'train',
      'train',
      'train',
      'train',
      'train',
      'run',
      'train',
      'explain',
      'explain',
      'explain',
    ]);
  });

  it.each(all)('$command', async ({ command, expected }) => {
    const r = await cli(words(command).slice(1));
    expect(r.code, r.stderr).toBe(0);
    expect(missingLines(r.stdout, expected), `output of: ${command}`).toEqual([]);
  });
});
