// The one way generated code is written: lines of text, indented two spaces per level by
// `indent`, joined once at the end. Templates return statements as text; these helpers place
// them. Nothing here knows TypeScript beyond the few token rules `definedReads` needs.

/** Lines of code (no trailing newlines inside). */
export type Lines = readonly string[];

/** Splits template output (statements joined by '\n') into lines. */
export function linesOf(text: string): string[] {
  return text.split('\n');
}

/** `lines` one level deeper (two spaces); blank lines stay blank. */
export function indent(lines: Lines): string[] {
  return lines.map((l) => (l === '' ? '' : `  ${l}`));
}

/** `head {`, the body one level deeper, `}` (with `tail` after the brace, e.g. `;`). */
export function braced(head: string, body: Lines, tail = ''): string[] {
  return [`${head} {`, ...indent(body), `}${tail}`];
}

/** A doc comment: one line, or a block with ` * ` lines. */
export function doc(lines: Lines): string[] {
  if (lines.length === 1) return [`/** ${lines[0]} */`];
  return ['/**', ...lines.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */'];
}

const IDENT_END = /[A-Za-z0-9_$\])]/;
const COMPOUND = /^\s*(\+\+|--|\*\*=|<<=|>>>=|>>=|[-+*/%&|^]=)/;
const PLAIN_STORE = /^\s*=(?!=)/;

/**
 * Marks every element read of a kernel body as defined: `X[i]` → `X[i]!` unless it is the target
 * of a plain `=`. Kernel indices are in bounds by construction (every extent is a static dim or
 * the checked batch), so this states a fact the compiler proved; it keeps the module clean under
 * `noUncheckedIndexedAccess`, and the `!` is erased from the JavaScript. Comments and string
 * literals are copied unchanged.
 */
export function definedReads(code: string): string {
  let out = '';
  const stack: boolean[] = [];
  let i = 0;
  while (i < code.length) {
    const c = code[i] as string;
    const next = code[i + 1];
    if (c === '/' && next === '/') {
      const end = code.indexOf('\n', i);
      const stop = end === -1 ? code.length : end;
      out += code.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end === -1 ? code.length : end + 2;
      out += code.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      out += code.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '[') {
      const prev = code[i - 1];
      stack.push(prev !== undefined && IDENT_END.test(prev) && next !== ']');
    } else if (c === ']') {
      const access = stack.pop() ?? false;
      out += c;
      i++;
      const rest = code.slice(i, i + 8);
      if (access && (COMPOUND.test(rest) || !PLAIN_STORE.test(rest))) out += '!';
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * Hands out identifiers that are unique within one module: `base` when free, else `base_2`,
 * `base_3`… Names reserved up front (the module's own fixed identifiers) are never handed out.
 */
export class NamePool {
  private readonly taken = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.taken.add(r);
  }

  take(base: string): string {
    let out = base;
    for (let k = 2; this.taken.has(out); k++) out = `${base}_${k}`;
    this.taken.add(out);
    return out;
  }
}

/** A readable identifier fragment from a graph name (`d(fc1.weight)` → `d_fc1_weight`); may be empty. */
export function identifierPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
}
