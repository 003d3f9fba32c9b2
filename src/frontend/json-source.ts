// JSON text -> plain value + a table of source positions keyed by JSON pointer, with readable
// syntax errors. Comments (`//`, `/* */`) are allowed so specs can be annotated; trailing commas
// are not (they are almost always accidents and break other JSON tools).
import { createScanner, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { Diagnostic } from '../../compiler/diagnostics.js';
import type { SourceLoc } from '../../compiler/ir/types.js';
import type { SpecLocations } from '../../compiler/frontend/graph-spec.js';

/** Positions of one JSON value: where the value starts and, for object members, its key. */
interface Span {
  readonly value: SourceLoc;
  readonly key?: SourceLoc;
}

/** `SpecLocations` plus key positions, so "unknown key" errors can point at the key itself. */
export interface JsonLocations extends SpecLocations {
  keyAt(pointer: string): SourceLoc | undefined;
}

export type ParsedJson =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly locations: JsonLocations;
      readonly errors: readonly Diagnostic[];
    }
  | { readonly ok: false; readonly errors: readonly Diagnostic[] };

/** Escapes one JSON-pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

export function joinPointer(base: string, segment: string | number): string {
  return `${base}/${pointerSegment(segment)}`;
}

/** Maps UTF-16 offsets to 1-based line:col. */
export function lineIndex(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  };
}

/**
 * Parses `text` (the contents of `file`). Syntax errors stop here: a broken document is not
 * validated further, since its structure would only produce confusing follow-on errors.
 * Duplicate keys are reported but do not stop validation (the last one wins, as in JSON.parse).
 */
export function parseJsonSource(text: string, file: string): ParsedJson {
  const toLineCol = lineIndex(text);
  const loc = (offset: number): SourceLoc => ({ file, ...toLineCol(offset) });
  // jsonc-parser and the walk below recurse once per level: refuse deep documents before either
  // runs, so a hostile file gets a located error instead of a stack overflow.
  const tooDeep = firstTooDeep(text);
  if (tooDeep !== undefined) {
    return {
      ok: false,
      errors: [
        {
          message: `nested too deeply (more than ${MAX_DEPTH} levels of [ and {)`,
          hint: 'a spec needs only a few levels; check for a runaway array or object here',
          loc: loc(tooDeep),
        },
      ],
    };
  }
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, {
    allowTrailingComma: false,
    disallowComments: false,
    allowEmptyContent: true,
  });
  if (parseErrors.length > 0 || root === undefined) {
    return { ok: false, errors: syntaxDiagnostics(text, parseErrors, loc) };
  }
  const spans = new Map<string, Span>();
  const errors: Diagnostic[] = [];
  const value = toValue(root, '', spans, errors, loc);
  const locations: JsonLocations = {
    file,
    at: (pointer) => spans.get(pointer)?.value,
    keyAt: (pointer) => spans.get(pointer)?.key ?? spans.get(pointer)?.value,
  };
  return { ok: true, value, locations, errors };
}

/** Deepest nesting of arrays and objects a document may have (specs use fewer than ten). */
export const MAX_DEPTH = 256;

/** Offset of the first '[' or '{' that opens level MAX_DEPTH + 1, scanning tokens iteratively. */
function firstTooDeep(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (;;) {
    scanner.scan();
    const start = scanner.getTokenOffset();
    if (start >= text.length) return undefined;
    const length = scanner.getTokenLength();
    if (isToken(text, start, length, '{') || isToken(text, start, length, '[')) {
      if (++depth > MAX_DEPTH) return start;
    } else if (isToken(text, start, length, '}') || isToken(text, start, length, ']')) {
      depth = Math.max(0, depth - 1);
    }
  }
}

function toValue(
  node: JsonNode,
  pointer: string,
  spans: Map<string, Span>,
  errors: Diagnostic[],
  loc: (offset: number) => SourceLoc,
  key?: JsonNode,
): unknown {
  spans.set(pointer, key ? { value: loc(node.offset), key: loc(key.offset) } : { value: loc(node.offset) });
  switch (node.type) {
    case 'object': {
      // NOTE: a null-prototype record, so a key like "__proto__" is plain data.
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      const firstSeen = new Map<string, JsonNode>();
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (keyNode === undefined || valueNode === undefined || typeof keyNode.value !== 'string') continue;
        const name = keyNode.value;
        const child = joinPointer(pointer, name);
        const earlier = firstSeen.get(name);
        if (earlier !== undefined) {
          const first = loc(earlier.offset);
          errors.push({
            message: `duplicate key '${name}' (first written at line ${first.line}:${first.col})`,
            hint: 'JSON keeps only the last value of a repeated key; remove one of them',
            pointer: child,
            loc: loc(keyNode.offset),
          });
        } else {
          firstSeen.set(name, keyNode);
        }
        out[name] = toValue(valueNode, child, spans, errors, loc, keyNode);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map((child, i) => toValue(child, joinPointer(pointer, i), spans, errors, loc));
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return node.value as unknown;
    case 'property':
      return undefined; // never reached: properties are handled by their object
  }
}

/**
 * Turns jsonc-parser's error codes into located messages with hints. One error per line:
 * the parser recovers token by token, so later errors on the same line are echoes of the first.
 */
function syntaxDiagnostics(
  text: string,
  errors: readonly ParseError[],
  loc: (offset: number) => SourceLoc,
): Diagnostic[] {
  if (errors.length === 0) {
    // Only whitespace and comments: parseTree reports nothing and returns no root.
    return [
      {
        message: 'the file is empty',
        hint: 'a chainrule spec is a JSON object: { "name": ..., "inputs": ..., "nodes": [...], "outputs": [...] }',
        loc: loc(0),
      },
    ];
  }
  const out: Diagnostic[] = [];
  let lastLine = -1;
  for (const e of errors) {
    const line = loc(e.offset).line;
    if (line === lastLine) continue;
    lastLine = line;
    const d = describeSyntaxError(text, e, loc);
    const previous = out.at(-1)?.loc;
    if (previous !== undefined && d.loc !== undefined && previous.line === d.loc.line && previous.col === d.loc.col)
      continue;
    out.push(d);
  }
  return out;
}

function describeSyntaxError(text: string, e: ParseError, loc: (offset: number) => SourceLoc): Diagnostic {
  const code = printParseErrorCode(e.error);
  const token = text.slice(e.offset, e.offset + Math.max(e.length, 1));
  const at = loc(e.offset);
  const comma = trailingCommaBefore(text, e.offset);
  switch (code) {
    case 'ValueExpected':
    case 'PropertyNameExpected':
      if (comma !== undefined) {
        return {
          message: 'trailing comma',
          hint: `remove the ',' before '${token}' (chainrule specs are strict JSON, apart from comments)`,
          loc: loc(comma),
        };
      }
      if (e.offset >= text.length)
        return { message: 'unexpected end of file: a value is missing', hint: unclosedHint(text, loc), loc: at };
      return code === 'ValueExpected'
        ? {
            message: `expected a value, found '${token}'`,
            hint: 'a value is a string in double quotes, a number, true, false, null, an array or an object',
            loc: at,
          }
        : {
            message: `expected a property name in double quotes, found '${token}'`,
            hint: 'write keys as "key": value',
            loc: at,
          };
    case 'InvalidSymbol':
      return invalidSymbol(text.slice(e.offset, e.offset + e.length), at);
    case 'ColonExpected':
      return { message: "expected ':' after the property name", hint: 'write members as "key": value', loc: at };
    case 'CommaExpected':
      return {
        message: `expected ',' before '${token}'`,
        hint: 'separate the members of an object or the items of an array with commas',
        loc: at,
      };
    case 'CloseBraceExpected':
    case 'CloseBracketExpected': {
      const closer = code === 'CloseBraceExpected' ? '}' : ']';
      if (e.offset >= text.length)
        return { message: `unexpected end of file: expected '${closer}'`, hint: unclosedHint(text, loc), loc: at };
      return {
        message: `expected '${closer}', found '${token}'`,
        hint: 'check that every { has a matching } and every [ a matching ]',
        loc: at,
      };
    }
    case 'EndOfFileExpected':
      return {
        message: `unexpected '${token}' after the end of the spec`,
        hint: 'a spec is a single JSON object; remove what follows its closing }',
        loc: at,
      };
    case 'UnexpectedEndOfString':
      return { message: 'unterminated string', hint: 'close the string with a double quote on the same line', loc: at };
    case 'InvalidEscapeCharacter':
      return {
        message: `invalid escape sequence in string`,
        hint: 'valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
        loc: at,
      };
    case 'InvalidUnicode':
      return {
        message: 'invalid \\u escape in string',
        hint: 'write \\u followed by exactly four hex digits',
        loc: at,
      };
    case 'InvalidCharacter':
      return { message: 'control character in string', hint: 'escape it (e.g. \\n, \\t)', loc: at };
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return { message: `invalid number '${token}'`, hint: 'write numbers like 128, 0.1 or 1e-3', loc: at };
    case 'InvalidCommentToken':
    case 'UnexpectedEndOfComment':
      return { message: 'unterminated comment', hint: 'close the block comment with */', loc: at };
    default:
      return { message: `malformed JSON (${code})`, hint: 'check the JSON syntax around this position', loc: at };
  }
}

/** Hints for the common non-JSON spellings: single quotes, bare keys, Python literals, NaN. */
function invalidSymbol(symbol: string, at: SourceLoc): Diagnostic {
  const fixes: Record<string, string> = {
    True: 'true',
    False: 'false',
    None: 'null',
    undefined: 'null',
    tru: 'true',
    fals: 'false',
    nul: 'null',
  };
  if (symbol.startsWith("'"))
    return {
      message: `unexpected ${symbol}: strings must use double quotes`,
      hint: `write "${symbol.replaceAll("'", '')}"`,
      loc: at,
    };
  if (symbol === 'NaN' || symbol === 'Infinity' || symbol === '-Infinity') {
    return { message: `${symbol} is not a JSON number`, hint: 'use a finite number', loc: at };
  }
  const fix = Object.hasOwn(fixes, symbol) ? fixes[symbol] : undefined;
  if (fix !== undefined) return { message: `unexpected '${symbol}'`, hint: `did you mean ${fix}?`, loc: at };
  if (/^[A-Za-z_$][\w$]*$/.test(symbol)) {
    return {
      message: `unexpected '${symbol}'`,
      hint: `keys and strings must be in double quotes: "${symbol}"`,
      loc: at,
    };
  }
  return { message: `unexpected '${symbol}'`, hint: 'this is not valid JSON here', loc: at };
}

/** Offset of a ',' directly before `offset` (skipping whitespace and comments), if any. */
function trailingCommaBefore(text: string, offset: number): number | undefined {
  const next = text[offset];
  if (next !== ']' && next !== '}') return undefined;
  const scanner = createScanner(text, true);
  let lastComma: number | undefined;
  while (scanner.getPosition() < offset) {
    scanner.scan();
    if (scanner.getTokenOffset() >= offset) break;
    lastComma = isToken(text, scanner.getTokenOffset(), scanner.getTokenLength(), ',')
      ? scanner.getTokenOffset()
      : undefined;
  }
  return lastComma;
}

/** "the '{' opened at line 3:5 is never closed", from a bracket stack over the tokens. */
function unclosedHint(text: string, loc: (offset: number) => SourceLoc): string {
  const scanner = createScanner(text, true);
  const stack: number[] = [];
  for (;;) {
    scanner.scan();
    const start = scanner.getTokenOffset();
    if (start >= text.length) break;
    const length = scanner.getTokenLength();
    if (isToken(text, start, length, '{') || isToken(text, start, length, '[')) stack.push(start);
    else if (isToken(text, start, length, '}') || isToken(text, start, length, ']')) stack.pop();
  }
  const open = stack.at(-1);
  if (open === undefined) return 'the document ends too early';
  const where = loc(open);
  return `the '${text[open]}' at line ${where.line}:${where.col} is never closed`;
}

/** A one-character punctuation token (strings and comments containing it are longer). */
function isToken(text: string, offset: number, length: number, ch: string): boolean {
  return length === 1 && text[offset] === ch;
}
