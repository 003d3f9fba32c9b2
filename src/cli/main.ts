// The `chainrule` command line. Each command lives in src/cli/commands/<name>.ts and exports a
// factory returning a commander `Command`; this file only lists them.
import { Command, CommanderError } from 'commander';
import { checkCommand } from './commands/check.js';
import { explainCommand } from './commands/explain.js';
import { irCommand } from './commands/ir.js';
import { drawCommand } from './commands/draw.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { predictCommand } from './commands/predict.js';
import { demoCommand } from './commands/demo.js';

/** Every command, in the order `--help` lists them. */
const commands: readonly (() => Command)[] = [
  checkCommand,
  irCommand,
  explainCommand,
  drawCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  demoCommand,
];

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('chainrule')
    .description('Neural-network graph compiler: chain-rule backward graphs, standalone TypeScript kernels, Graphviz diagrams.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const make of commands) program.addCommand(make().exitOverride());
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
