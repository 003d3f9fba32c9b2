// The exit codes of every command, in one place (documented in docs/cli.md).

/** Success. */
export const OK_EXIT = 0;
/** Bad input: an invalid spec, bad data, an unreadable or unwritable file, a diverged run. */
export const INPUT_EXIT = 1;
/** A bad command line: unknown option, missing argument, bad value. */
export const USAGE_EXIT = 2;
/** An internal error: a bug in chainrule (EX_SOFTWARE from sysexits.h). */
export const INTERNAL_EXIT = 70;
/** Stopped by SIGINT/SIGTERM (128 + 2, as shells report Ctrl-C). */
export const INTERRUPTED_EXIT = 130;
