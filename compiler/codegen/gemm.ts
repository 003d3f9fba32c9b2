// Register-blocked matrix-multiply microkernels: C[M,N] = op(A)·op(B) (+ epilogue).
// One generator serves every variant (X·W, dY·Wᵀ, Xᵀ·dY): the transposes are folded into the
// index strides, so no transpose is ever materialized. Accumulators live in locals (doubles),
// so the inner loop does no stores and an f32 result is rounded exactly once, like the reference.

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
  /** Accumulator block: rows × cols held in registers. */
  readonly tile: { readonly rows: number; readonly cols: number };
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
}

const mul = (a: string, b: string): string => (a === '0' || b === '0' ? '0' : a === '1' ? b : b === '1' ? a : `${a} * ${b}`);
const add = (a: string, b: string): string => (a === '0' ? b : b === '0' ? a : `${a} + ${b}`);

/** Code for C = op(A)·op(B) with literal bounds wherever the dims are static. */
export function gemm(s: GemmSpec): string {
  const R = Math.max(1, s.tile.rows);
  const C = Math.max(1, Math.min(s.tile.cols, s.n));
  const nFull = s.n - (s.n % C);
  const nRem = s.n % C;
  const mStatic = /^\d+$/.test(s.m) ? Number(s.m) : undefined;
  const lines: string[] = [];
  const mFull = mStatic === undefined ? 'mFull' : `${mStatic - (mStatic % R)}`;
  if (mStatic === undefined) lines.push(`const mFull = ${s.m} - (${s.m} % ${R});`);
  lines.push(`for (let i = 0; i < ${mFull}; i += ${R}) {`);
  lines.push(...indent(columnBlocks(s, R, C, nFull, nRem)));
  lines.push('}');
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
  const out: string[] = [];
  const decls: string[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) decls.push(`${acc(r, c)} = 0`);
  out.push(`let ${decls.join(', ')};`);
  if (s.ones === undefined) out.push(`let pa = ${mul('i', s.ai)};`);
  out.push(`let pb = ${mul(j, s.bj)};`);
  out.push(`for (let p = 0; p < ${s.k}; p++) {`);
  const body: string[] = [];
  if (s.ones === undefined) for (let r = 0; r < rows; r++) body.push(`const a${r} = ${s.a}[${add('pa', mul(`${r}`, s.ai))}];`);
  for (let c = 0; c < cols; c++) body.push(`const b${c} = ${s.b}[${add('pb', mul(`${c}`, s.bj))}];`);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) body.push(s.ones === undefined ? `${acc(r, c)} += a${r} * b${c};` : `${acc(r, c)} += b${c};`);
  if (s.ones === undefined) body.push(`pa += ${s.ap};`);
  body.push(`pb += ${s.bp};`);
  out.push(...indent(body));
  out.push('}');
  if (s.ones !== undefined) {
    for (let c = 0; c < cols; c++) out.push(...s.ones.store(c === 0 ? j : `${j} + ${c}`, acc(0, c)));
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
