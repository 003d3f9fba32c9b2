#!/usr/bin/env node
// Entry point for `npx chainrule`: runs the TypeScript CLI through tsx's loader (a dependency),
// so no build step is needed after `npm ci`.
import { register } from 'tsx/esm/api';

// The reader went away (`chainrule ir SPEC | head -1`): stop quietly, as Unix tools do, instead
// of crashing on the unhandled stream error. Exit 0: the reader got all it asked for.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
