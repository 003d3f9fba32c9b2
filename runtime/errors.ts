// Errors about the user's data, files or run (not bugs). The CLI prints them as
// `error: message` plus `hint:` and exits 1 without a stack trace; anything else is a bug.

export class RuntimeError extends Error {
  constructor(
    message: string,
    /** How to fix it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** Formats a RuntimeError the way the CLI prints it. */
export function formatRuntimeError(err: RuntimeError): string {
  return `error: ${err.message}` + (err.hint !== undefined ? `\n  hint: ${err.hint}` : '');
}
