// Located, actionable errors. Everything that rejects user input returns these (collected, never
// only the first); `src/` formats them as `file:line:col: error: message (node 'x')\n  hint: ...`.
import type { SourceLoc } from './ir/types.js';

export interface Diagnostic {
  /** What is wrong, e.g. "add 'join': operand shapes differ: h0 is [B,128] but branch is [B,64]". */
  readonly message: string;
  /** How to fix it, e.g. "did you mean 'units'?". */
  readonly hint?: string;
  /** The spec node the error belongs to, when there is one. */
  readonly node?: string;
  /** JSON pointer into the spec (`/nodes/3/inputs/1`), resolved to `loc` by the loader. */
  readonly pointer?: string;
  readonly loc?: SourceLoc;
  /** Default `'error'`; warnings (e.g. an unused node) never fail a check. */
  readonly severity?: 'error' | 'warning';
}

/** Thrown by APIs that cannot return diagnostics (e.g. the TS builder's `build()`). */
export class ChainruleError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ChainruleError';
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  // Unlocated diagnostics (e.g. from the TS builder) still say where via their JSON pointer.
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : d.pointer !== undefined ? `${d.pointer}: ` : '';
  const node = d.node !== undefined ? ` (node '${d.node}')` : '';
  const hint = d.hint !== undefined ? `\n  hint: ${d.hint}` : '';
  return `${where}${d.severity ?? 'error'}: ${d.message}${node}${hint}`;
}
