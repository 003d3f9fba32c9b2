// The `chainrule` command line. Each command lives in src/cli/commands/<name>.ts and exports a
// factory returning a commander `Command`; this file only lists them.
import { Command, CommanderError } from 'commander';
import { INTERNAL_EXIT, USAGE_EXIT } from './exit-codes.js';

export { USAGE_EXIT } from './exit-codes.js';

/**
 * Every command, in the order `--help` lists them. Each module is imported only when its command
 * runs (or for the full `--help` list), so `chainrule check` never loads the code generator,
 * Graphviz or the PNG renderer: start-up time is mostly module loading (`npm run bench:startup`).
 */
const commands: Readonly<Record<string, () => Promise<() => Command>>> = {
  check: async () => (await import('./commands/check.js')).checkCommand,
  compile: async () => (await import('./commands/compile.js')).compileCommand,
  ir: async () => (await import('./commands/ir.js')).irCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  draw: async () => (await import('./commands/draw.js')).drawCommand,
  train: async () => (await import('./commands/train.js')).trainCommand,
  eval: async () => (await import('./commands/eval.js')).evalCommand,
  predict: async () => (await import('./commands/predict.js')).predictCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  studio: async () => (await import('./commands/studio.js')).studioCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  'import-weights': async () => (await import('./commands/import.js')).importWeightsCommand,
};

/**
 * The commands `argv` needs: the one it names, none for a bare `--version`, else all of them
 * (the `--help` list, and commander's "did you mean" for a misspelt command).
 */
export function commandsFor(argv: readonly string[]): string[] {
  const word = argv.find((arg) => !arg.startsWith('-'));
  if (word !== undefined && Object.hasOwn(commands, word)) return [word];
  if (word === undefined && argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return [];
  return Object.keys(commands);
}

/**
 * Runs the command line and returns the exit code (see docs/cli.md): 0 ok, 1 bad input, 2 usage,
 * 70 an internal error (a bug: one line, the stack trace only with --debug), 130 interrupted.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // --debug is global and may appear anywhere; commands never see it.
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const program = new Command('chainrule')
    .description(
      'Neural-network graph compiler: chain-rule backward graphs, standalone TypeScript kernels, Graphviz diagrams.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const makers = await Promise.all(commandsFor(args).map((name) => commands[name]?.()));
  for (const make of makers) {
    if (make === undefined) continue;
    const command = make();
    // The command list shows one line per command; `chainrule <cmd> --help` shows the rest.
    if (command.summary() === '') command.summary(firstSentence(command.description()));
    program.addCommand(
      command.exitOverride().showHelpAfterError(`(run 'chainrule ${command.name()} --help' for usage)`),
    );
  }
  program.option('--debug', 'on an internal error, print the stack trace');
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return usageExitCode(err);
    process.stderr.write(internalErrorText(err, debug));
    return INTERNAL_EXIT;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/** One line saying it is our fault (plus the trace with --debug). */
export function internalErrorText(err: unknown, debug: boolean): string {
  const what = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
  const trace = err instanceof Error && err.stack !== undefined ? err.stack : what;
  return debug
    ? `internal error: this is a bug in chainrule\n${trace}\n`
    : `internal error: ${what}\n  this is a bug in chainrule; please report it with the command you ran (add --debug for the stack trace)\n`;
}

/**
 * Commander exits 1 for usage errors; we keep 1 for a bad spec or data and use 2 for a bad command
 * line, as Unix tools do. `--help` and `--version` still exit 0.
 */
function usageExitCode(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : USAGE_EXIT;
}

/** `'Validate a spec. Prints …'` → `'Validate a spec.'` (line breaks joined). */
function firstSentence(text: string): string {
  const joined = text.replace(/\s*\n\s*/g, ' ');
  return joined.split(/(?<=\.)\s/)[0] ?? joined;
}
