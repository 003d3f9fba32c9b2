// A reader for the DOT subset chainrule writes (and a little more): digraph, node/edge/attribute
// statements, attribute lists, (cluster) subgraphs and `rank=same` groups. Test-only: the diagram
// tests inspect what the writer wrote through it instead of matching text.

/** A value as written: a quoted or bare string, or HTML-like markup (`html: true`). */
export interface DotRead {
  readonly text: string;
  readonly html: boolean;
  readonly line: number;
}

export type DotReadAttrs = ReadonlyMap<string, DotRead>;

export interface ReadNode {
  readonly id: string;
  readonly attrs: DotReadAttrs;
  readonly line: number;
  /** The cluster subgraph it was declared in, if any. */
  readonly cluster?: string;
}

export interface ReadEdge {
  readonly from: string;
  readonly to: string;
  readonly attrs: DotReadAttrs;
  readonly line: number;
}

export interface ReadSubgraph {
  readonly id: string;
  readonly attrs: DotReadAttrs;
  readonly nodes: readonly string[];
  readonly line: number;
}

export interface ReadDot {
  readonly name: string;
  readonly graph: DotReadAttrs;
  readonly nodes: ReadonlyMap<string, ReadNode>;
  readonly edges: readonly ReadEdge[];
  /** Subgraphs whose id starts with `cluster`. */
  readonly clusters: readonly ReadSubgraph[];
  /** Node ids of each `{ rank=same; ... }` group. */
  readonly sameRank: readonly ReadSubgraph[];
  /** Every `key=value` in the file, in order. */
  readonly assignments: readonly { readonly key: string; readonly value: DotRead }[];
}

type Token =
  | { readonly kind: 'id'; readonly text: string; readonly line: number }
  | { readonly kind: 'html'; readonly text: string; readonly line: number }
  | { readonly kind: 'punct'; readonly text: string; readonly line: number };

export class DotReadError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DotReadError';
  }
}

function countLines(text: string): number {
  return (text.match(/\n/g) ?? []).length;
}

/** The closing `"` of the quoted string opened at `start`, skipping `\"` escapes. */
function quotedEnd(dot: string, start: number): number {
  let j = start + 1;
  while (j < dot.length && dot[j] !== '"') j += dot[j] === '\\' ? 2 : 1;
  return j;
}

/** The `>` that closes the HTML string opened at `start` (they nest). */
function htmlEnd(dot: string, start: number): number {
  let depth = 0;
  for (let j = start; j < dot.length; j++) {
    if (dot[j] === '<') depth++;
    if (dot[j] === '>' && --depth === 0) return j;
  }
  return dot.length;
}

/** DOT unescapes only `\"` in quoted strings; `\\` is kept for the label's own escapes. */
function unquote(body: string): string {
  return body.replaceAll('\\"', '"');
}

function tokenize(dot: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < dot.length) {
    const c = dot[i] ?? '';
    if (c === '\n' || /\s/.test(c)) {
      if (c === '\n') line++;
      i++;
    } else if (dot.startsWith('//', i) || (c === '#' && (i === 0 || dot[i - 1] === '\n'))) {
      while (i < dot.length && dot[i] !== '\n') i++;
    } else if (dot.startsWith('/*', i)) {
      const end = dot.indexOf('*/', i + 2);
      if (end < 0) throw new DotReadError('unterminated /* comment', line);
      line += countLines(dot.slice(i, end));
      i = end + 2;
    } else if (c === '"') {
      const end = quotedEnd(dot, i);
      if (end >= dot.length) throw new DotReadError('unterminated quoted string', line);
      tokens.push({ kind: 'id', text: unquote(dot.slice(i + 1, end)), line });
      line += countLines(dot.slice(i, end));
      i = end + 1;
    } else if (c === '<') {
      const end = htmlEnd(dot, i);
      if (end >= dot.length) throw new DotReadError('unterminated HTML-like label', line);
      tokens.push({ kind: 'html', text: dot.slice(i + 1, end), line });
      line += countLines(dot.slice(i, end));
      i = end + 1;
    } else if (dot.startsWith('->', i) || dot.startsWith('--', i)) {
      tokens.push({ kind: 'punct', text: dot.slice(i, i + 2), line });
      i += 2;
    } else if ('[]{};,=:'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      const m = /^-?[A-Za-z0-9_.\u0080-\uffff]+/.exec(dot.slice(i, i + 200));
      if (m === null) throw new DotReadError(`unexpected character '${c}'`, line);
      tokens.push({ kind: 'id', text: m[0], line });
      i += m[0].length;
    }
  }
  return tokens;
}

/** Recursive-descent reader over the token list. */
class Reader {
  private pos = 0;
  readonly nodes = new Map<string, ReadNode>();
  readonly edges: ReadEdge[] = [];
  readonly clusters: ReadSubgraph[] = [];
  readonly sameRank: ReadSubgraph[] = [];
  readonly assignments: { key: string; value: DotRead }[] = [];
  readonly graph = new Map<string, DotRead>();

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private lineHere(): number {
    return this.peek()?.line ?? this.tokens[this.tokens.length - 1]?.line ?? 1;
  }

  private isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.kind === 'punct' && t.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text))
      throw new DotReadError(`expected '${text}' but found '${this.peek()?.text ?? 'end of file'}'`, this.lineHere());
    this.pos++;
  }

  private id(): DotRead {
    const t = this.peek();
    if (t === undefined || t.kind === 'punct')
      throw new DotReadError(`expected a name but found '${t?.text ?? 'end of file'}'`, this.lineHere());
    this.pos++;
    return { text: t.text, html: t.kind === 'html', line: t.line };
  }

  private assign(key: DotRead, into: Map<string, DotRead>): void {
    this.expectPunct('=');
    const value = this.id();
    into.set(key.text, value);
    this.assignments.push({ key: key.text, value });
  }

  /** Zero or more `[k=v, ...]` lists. */
  private attrList(): Map<string, DotRead> {
    const attrs = new Map<string, DotRead>();
    while (this.isPunct('[')) {
      this.pos++;
      while (!this.isPunct(']')) {
        this.assign(this.id(), attrs);
        if (this.isPunct(',') || this.isPunct(';')) this.pos++;
      }
      this.pos++;
    }
    return attrs;
  }

  read(): ReadDot {
    if (this.peek()?.text === 'strict') this.pos++;
    const kind = this.id();
    if (kind.text !== 'digraph' && kind.text !== 'graph')
      throw new DotReadError(`expected 'digraph' but found '${kind.text}'`, kind.line);
    const name = this.isPunct('{') ? '' : this.id().text;
    this.block(undefined, this.graph);
    if (this.pos < this.tokens.length)
      throw new DotReadError(`unexpected '${this.peek()?.text}' after the graph`, this.lineHere());
    return {
      name,
      graph: this.graph,
      nodes: this.nodes,
      edges: this.edges,
      clusters: this.clusters,
      sameRank: this.sameRank,
      assignments: this.assignments,
    };
  }

  /** `{ stmt* }`; returns the node ids mentioned inside. */
  private block(cluster: string | undefined, attrs: Map<string, DotRead>): string[] {
    this.expectPunct('{');
    const members: string[] = [];
    while (!this.isPunct('}')) {
      if (this.peek() === undefined) throw new DotReadError("missing '}'", this.lineHere());
      members.push(...this.statement(cluster, attrs));
      if (this.isPunct(';')) this.pos++;
    }
    this.pos++;
    return members;
  }

  private subgraph(cluster: string | undefined): string[] {
    const line = this.lineHere();
    let id = '';
    if (this.peek()?.text === 'subgraph') {
      this.pos++;
      if (!this.isPunct('{')) id = this.id().text;
    }
    const attrs = new Map<string, DotRead>();
    const isCluster = id.startsWith('cluster');
    const members = this.block(isCluster ? id : cluster, attrs);
    if (isCluster) this.clusters.push({ id, attrs, nodes: members, line });
    if (attrs.get('rank')?.text === 'same') this.sameRank.push({ id, attrs, nodes: members, line });
    return members;
  }

  private statement(cluster: string | undefined, attrs: Map<string, DotRead>): string[] {
    const t = this.peek();
    if (t?.kind === 'punct' && t.text === '{') return this.subgraph(cluster);
    if (t?.text === 'subgraph' && t.kind === 'id') return this.subgraph(cluster);
    if (t?.kind === 'id' && (t.text === 'graph' || t.text === 'node' || t.text === 'edge')) {
      this.pos++;
      if (!this.isPunct('[')) throw new DotReadError(`'${t.text}' must be followed by an attribute list [...]`, t.line);
      const list = this.attrList();
      if (t.text === 'graph') for (const [k, v] of list) attrs.set(k, v);
      return [];
    }
    const first = this.id();
    if (this.isPunct('=')) {
      this.assign(first, attrs);
      return [];
    }
    const chain = [first];
    while (this.isPunct('->') || this.isPunct('--')) {
      this.pos++;
      chain.push(this.id());
    }
    const list = this.attrList();
    if (chain.length === 1) {
      if (!this.nodes.has(first.text) || list.size > 0) {
        const node: ReadNode = {
          id: first.text,
          attrs: list,
          line: first.line,
          ...(cluster === undefined ? {} : { cluster }),
        };
        this.nodes.set(first.text, node);
      }
      return [first.text];
    }
    for (let k = 0; k + 1 < chain.length; k++) {
      const [a, b] = [chain[k], chain[k + 1]];
      if (a !== undefined && b !== undefined) this.edges.push({ from: a.text, to: b.text, attrs: list, line: a.line });
    }
    return chain.map((c) => c.text);
  }
}

/** Reads DOT text; throws `DotReadError` (with the line) when it is not valid DOT. */
export function readDot(dot: string): ReadDot {
  return new Reader(tokenize(dot)).read();
}

/** The visible text of a value: HTML tags dropped, entities decoded, `<BR/>` as a newline. */
export function plainText(value: DotRead | undefined): string {
  if (value === undefined) return '';
  if (!value.html) return value.text.replaceAll('\\n', '\n').replaceAll('\\\\', '\\');
  return value.text
    .replace(/<BR\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&');
}
