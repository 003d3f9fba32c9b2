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

/** Why a file operation failed, in words (`no such file`), not an errno code (`ENOENT`). */
export function fileProblem(err: unknown): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EEXIST':
      return 'a file of that name already exists';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
