// `f(...array)` passes every element as an argument: with a few hundred thousand elements it
// overflows the stack (a 105 MB CSV did, in `val.push(...rows)`). Where sizes come from user
// data or graph size, loops are used instead; this test keeps the pattern out of those folders.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Folders whose arrays can be as big as the data or the graph. */
const FOLDERS = ['runtime', 'src', 'compiler/passes', 'compiler/ir', 'compiler/frontend'];
/** `push(...x)`, `unshift(...x)`, `Math.max(...x)` / `Math.min(...x)`, `String.fromCharCode(...x)`. */
const SPREAD_CALL = /\b(?:push|unshift|Math\.max|Math\.min|fromCharCode)\(\s*(?:[^(){}]*,\s*)?\.\.\./;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('no spread of possibly large arrays into calls', () => {
  it(`none in ${FOLDERS.join(', ')}`, () => {
    const hits = FOLDERS.flatMap((folder) =>
      files(join(root, folder)).flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, i) => (SPREAD_CALL.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])),
      ),
    );
    expect(hits, 'use a loop (for … of / pushAll) instead of spreading an array into a call').toEqual([]);
  });

  it('the pattern catches what it is meant to', () => {
    expect(SPREAD_CALL.test('val.push(...rows.slice(0, n));')).toBe(true);
    expect(SPREAD_CALL.test('const m = Math.max(...distinct.map(Number));')).toBe(true);
    expect(SPREAD_CALL.test('Math.min(0, ...finite)')).toBe(true);
    expect(SPREAD_CALL.test('const copy = [...rows];')).toBe(false);
    expect(SPREAD_CALL.test('issues.push({ pointer, ...badName(name) });')).toBe(false);
  });
});
