// Register-blocked matrix-multiply microkernels: C[M,N] = op(A)·op(B) (+ epilogue).
// One generator serves every variant (X·W, dY·Wᵀ, Xᵀ·dY): the transposes are folded into the
// index strides, so no transpose is ever materialized. Accumulators live in locals (doubles),
// so the inner loop does no stores and an f32 result is rounded exactly once, like the reference.
// Edge tiles get their own straight-line copies of the microkernel (fewer rows or columns), so
// no loop carries a branch on the edge.

export interface Tile {
  readonly rows: number;
  readonly cols: number;
}

export interface GemmSpec {
  readonly c: string;
  readonly a: string;
  readonly b: string;
  /** Rows of C (code: a literal or `B`). */
  readonly m: string;
  /** Columns of C: always static. */
  readonly n: number;
  /** Inner dimension (code). */
  readonly k: string;
  /** Strides: element (i,p) of op(A) is `a[i·ai + p·ap]`; element (p,j) of op(B) is `b[p·bp + j·bj]`. */
  readonly ai: string;
  readonly ap: string;
  readonly bp: string;
  readonly bj: string;
  /** Accumulator block: rows × cols held in registers (default: `chooseTile` for the shape). */
  readonly tile?: Tile;
  /** Turns the accumulated value for column `j` (code) into the stored value. */
  readonly epilogue?: (acc: string, j: string) => string;
  /** Accumulate into C (`+=`) instead of overwriting it. */
  readonly accumulate?: boolean;
  /**
   * Replaces the store of each result: statements given the flat index into C (code), the
   * accumulator and the column. Fused epilogues (activation, activation derivative, optimizer
   * update) use it to write more than one value per element.
   */
  readonly store?: (index: string, acc: string, j: string) => readonly string[];
  /**
   * Also computes the column sums of op(B) (Σ over p of op(B)[p, j], the bias gradient when op(B)
   * is dZ), as one extra row of ones under op(A), with the same column blocking; `store` (or a
   * plain store into this array) receives them with index `j`.
   */
  readonly onesRow?: { readonly store: (j: string, acc: string) => readonly string[] };
  /**
   * Compute only C's rows `from` ≤ i < `to` (code; a thread's slice). Each element is still
   * computed whole, in the same order, so a slice's values are bit for bit the full product's;
   * the ones row is computed by the non-empty slice that ends at the last row.
   */
  readonly rowRange?: RowRange;
}

/** A slice of C's rows, as code: `from` ≤ i < `to`. */
export interface RowRange {
  readonly from: string;
  readonly to: string;
}

const mul = (a: string, b: string): string =>
  a === '0' || b === '0' ? '0' : a === '1' ? b : b === '1' ? a : `${a} * ${b}`;
const add = (a: string, b: string): string => (a === '0' ? b : b === '0' ? a : `${a} + ${b}`);
const staticInt = (code: string): number | undefined => (/^\d+$/.test(code) ? Number(code) : undefined);

/** `base + offset` where the offset is a product of literals when it can be (folded). */
function offset(base: string, ...terms: readonly (readonly [number, string])[]): string {
  let literal = 0;
  const symbolic: string[] = [];
  for (const [count, stride] of terms) {
    const s = staticInt(stride);
    if (s !== undefined) literal += count * s;
    else if (count !== 0) symbolic.push(mul(`${count}`, stride));
  }
  return [base, ...symbolic, ...(literal === 0 ? [] : [`${literal}`])].reduce(add);
}

/** Code for C = op(A)·op(B) with literal bounds wherever the dims are static. */
export function gemm(s: GemmSpec): string {
  const tile = s.tile ?? chooseTile(staticInt(s.m), s.n, staticInt(s.k));
  const R = Math.max(1, tile.rows);
  const C = Math.max(1, Math.min(tile.cols, s.n));
  const nFull = s.n - (s.n % C);
  const nRem = s.n % C;
  if (s.rowRange !== undefined) return gemmRows(s, s.rowRange, R, C, nFull, nRem);
  const mStatic = staticInt(s.m);
  const lines: string[] = [];
  const mFull = mStatic === undefined ? 'mFull' : `${mStatic - (mStatic % R)}`;
  if (mStatic === undefined) lines.push(`const mFull = ${s.m} - (${s.m} % ${R});`);
  if (mFull !== '0') {
    lines.push(`for (let i = 0; i < ${mFull}; i += ${R}) {`);
    lines.push(...indent(columnBlocks(s, R, C, nFull, nRem)));
    lines.push('}');
  }
  if (R > 1 && (mStatic === undefined || mStatic % R !== 0)) {
    lines.push(`for (let i = ${mFull}; i < ${s.m}; i++) {`);
    lines.push(...indent(columnBlocks(s, 1, C, nFull, nRem)));
    lines.push('}');
  }
  if (s.onesRow !== undefined) {
    lines.push('// The row of ones: column sums of op(B), blocked like the rows above.');
    lines.push('{');
    lines.push(...indent(columnBlocks({ ...s, ones: s.onesRow }, 1, C, nFull, nRem)));
    lines.push('}');
  }
  return lines.join('\n');
}

/** `gemm` over the rows of `range` only: run-time bounds, the ones row in the slice that ends at m. */
function gemmRows(s: GemmSpec, range: RowRange, R: number, C: number, nFull: number, nRem: number): string {
  const lines: string[] = [];
  if (R > 1) lines.push(`const mFull = ${range.to} - ((${range.to} - ${range.from}) % ${R});`);
  lines.push(`for (let i = ${range.from}; i < ${R > 1 ? 'mFull' : range.to}; i += ${R}) {`);
  lines.push(...indent(columnBlocks(s, R, C, nFull, nRem)));
  lines.push('}');
  if (R > 1) {
    lines.push(`for (let i = mFull; i < ${range.to}; i++) {`);
    lines.push(...indent(columnBlocks(s, 1, C, nFull, nRem)));
    lines.push('}');
  }
  if (s.onesRow !== undefined) {
    lines.push('// The row of ones (column sums of op(B)): once, in the (non-empty) slice that ends at the last row.');
    lines.push(`if (${range.to} === ${s.m} && ${range.from} < ${range.to}) {`);
    lines.push(...indent(columnBlocks({ ...s, ones: s.onesRow }, 1, C, nFull, nRem)));
    lines.push('}');
  }
  return lines.join('\n');
}

/**
 * The register tile for C[m, n] = op(A)[m, k]·op(B)[k, n]; `m` or `k` undefined means the batch,
 * known only at run time. V8 keeps about 15 doubles in registers: a tile of ≤ 12 accumulators
 * never spills, a larger one spills some of them but loads fewer operands per multiply-add,
 * which pays off only when the inner loop is long. The rules below are the tiles that measured
 * best per shape class (figures in docs/benchmarks.md, "JS matmul tiles").
 */
export function chooseTile(m: number | undefined, n: number, k: number | undefined): Tile {
  if (m === 1) return { rows: 1, cols: divisorOf(n, [8, 5, 4]) ?? 8 };
  const shortK = k !== undefined && k <= 16;
  if (n <= 16 || shortK) {
    const cols = divisorOf(n, [5, 4, 3]) ?? (n < 3 ? n : 4);
    return { rows: cols <= 3 ? 4 : 2, cols };
  }
  return { rows: 4, cols: n % 8 === 0 ? 8 : 4 };
}

/** The first of `widths` that divides `n` (no edge tile), if any. */
function divisorOf(n: number, widths: readonly number[]): number | undefined {
  return widths.find((w) => n % w === 0);
}

/** A spec while generating the ones row (A is all ones: no loads, no multiplies). */
type BlockSpec = GemmSpec & { readonly ones?: GemmSpec['onesRow'] };

function columnBlocks(s: BlockSpec, rows: number, cols: number, nFull: number, nRem: number): string[] {
  const out: string[] = [];
  if (nFull > 0) {
    out.push(`for (let j = 0; j < ${nFull}; j += ${cols}) {`);
    out.push(...indent(microKernel(s, rows, cols, 'j')));
    out.push('}');
  }
  if (nRem > 0) {
    out.push('{');
    out.push(...indent([`const j = ${nFull};`, ...microKernel(s, rows, nRem, 'j')]));
    out.push('}');
  }
  return out;
}

function microKernel(s: BlockSpec, rows: number, cols: number, j: string): string[] {
  const acc = (r: number, c: number): string => `c${r}_${c}`;
  const ones = s.ones;
  const out: string[] = [];
  const decls: string[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) decls.push(`${acc(r, c)} = 0`);
  out.push(`let ${decls.join(', ')};`);
  if (ones === undefined) out.push(`let pa = ${mul('i', s.ai)};`);
  out.push(`let pb = ${mul(j, s.bj)};`);
  out.push(`for (let p = 0; p < ${s.k}; p++) {`);
  const body: string[] = [];
  if (ones === undefined) for (let r = 0; r < rows; r++) body.push(`const a${r} = ${s.a}[${offset('pa', [r, s.ai])}];`);
  for (let c = 0; c < cols; c++) body.push(`const b${c} = ${s.b}[${offset('pb', [c, s.bj])}];`);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      body.push(ones !== undefined ? `${acc(r, c)} += b${c};` : `${acc(r, c)} += a${r} * b${c};`);
  if (ones === undefined) body.push(`pa += ${s.ap};`);
  body.push(`pb += ${s.bp};`);
  out.push(...indent(body));
  out.push('}');
  if (ones !== undefined) {
    for (let c = 0; c < cols; c++) out.push(...ones.store(c === 0 ? j : `${j} + ${c}`, acc(0, c)));
    return out;
  }
  for (let r = 0; r < rows; r++) {
    out.push(`const o${r} = ${mul(r === 0 ? 'i' : `(i + ${r})`, `${s.n}`)} + ${j};`);
    for (let c = 0; c < cols; c++) {
      const jc = c === 0 ? j : `${j} + ${c}`;
      const index = `o${r}${c === 0 ? '' : ` + ${c}`}`;
      if (s.store !== undefined) {
        out.push(...s.store(index, acc(r, c), jc));
        continue;
      }
      const value = s.epilogue ? s.epilogue(acc(r, c), jc) : acc(r, c);
      const target = `${s.c}[${index}]`;
      out.push(s.accumulate ? `${target} += ${value};` : `${target} = ${value};`);
    }
  }
  return out;
}

export function indent(lines: readonly string[]): string[] {
  return lines.map((l) => (l === '' ? l : `  ${l}`));
}
