// Compiler-style rendering of diagnostics for the terminal: the located message, the source line
// with a caret under the offending token, and the hint. Deterministic (no colour, no paths
// rewritten), so golden tests can compare it byte for byte.
import { readFileSync } from 'node:fs';
import { formatDiagnostic, type Diagnostic } from '../../compiler/diagnostics.js';

/** Returns a file's text, or undefined when it cannot be shown. */
export type SourceReader = (file: string) => string | undefined;

export function readSourceFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * ```
 * bad.json:6:28: error: unknown op 'lienar' (node 'fc1')
 *    6 |     { "name": "fc1", "op": "lienar", "input": "x" },
 *      |                            ^^^^^^^^
 *   hint: did you mean 'linear'?
 * ```
 */
export function renderDiagnostic(d: Diagnostic, source: string | undefined): string {
  const text = formatDiagnostic(d);
  const line = d.loc && source !== undefined ? source.split('\n')[d.loc.line - 1] : undefined;
  if (d.loc === undefined || line === undefined) return text;
  const [head, ...rest] = text.split('\n');
  const content = line.replace(/\r$/, '');
  const number = String(d.loc.line);
  const gutter = ' '.repeat(number.length);
  // Keep tabs in the padding so the caret lines up however the terminal renders them.
  const pad = content.slice(0, d.loc.col - 1).replace(/[^\t]/g, ' ');
  const caret = '^'.repeat(tokenLength(content, d.loc.col - 1));
  return [head, ` ${number} | ${content}`, ` ${gutter} | ${pad}${caret}`, ...rest].join('\n');
}

/** Length of the JSON token starting at `i`: a whole string, number or word, else one character. */
export function tokenLength(line: string, i: number): number {
  if (i >= line.length) return 1;
  const quote = line[i];
  // Single quotes are not JSON, but underlining the whole 'word' shows what to fix.
  if (quote === '"' || quote === "'") {
    for (let j = i + 1; j < line.length; j++) {
      if (line[j] === '\\') j++;
      else if (line[j] === quote) return j - i + 1;
    }
    return line.length - i;
  }
  const word = /^[A-Za-z0-9_.+$-]+/.exec(line.slice(i));
  return word ? word[0].length : 1;
}

/** Every diagnostic, rendered, separated by blank lines, followed by a count. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], read: SourceReader = readSourceFile): string {
  const cache = new Map<string, string | undefined>();
  const source = (file: string): string | undefined => {
    if (!cache.has(file)) cache.set(file, read(file));
    return cache.get(file);
  };
  return diagnostics.map((d) => renderDiagnostic(d, d.loc ? source(d.loc.file) : undefined)).join('\n\n');
}

/** Diagnostics in file order (stable; unlocated ones last), so errors and warnings interleave as in the source. */
export function sortByLocation(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): [string, number, number] =>
    d.loc ? [d.loc.file, d.loc.line, d.loc.col] : ['\uffff', 0, 0];
  return diagnostics
    .map((d, i) => ({ d, i, k: key(d) }))
    .sort((a, b) => (a.k[0] < b.k[0] ? -1 : a.k[0] > b.k[0] ? 1 : 0) || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i)
    .map((x) => x.d);
}

/** "2 errors, 1 warning". */
export function countSummary(errors: number, warnings: number): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return warnings === 0 ? plural(errors, 'error') : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/** 101770 -> "101,770" (fixed locale, so output does not depend on the machine). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
