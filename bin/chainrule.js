#!/usr/bin/env node
// Entry point for `npx chainrule`: runs the built CLI in dist/ (`npm run build`, which `npm ci` and
// `npm pack` run through the `prepare` script). Plain JavaScript, so a command starts without any
// TypeScript toolchain.

// The reader went away (`chainrule ir SPEC | head -1`): stop quietly, as Unix tools do, instead
// of crashing on the unhandled stream error. Exit 0: the reader got all it asked for.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

// Inside the repository the tests set CHAINRULE_FROM_SOURCE=1 (vitest.config.ts) so every spawned
// command runs the TypeScript sources through tsx (a dev dependency) and never a stale build.
const fromSource = process.env.CHAINRULE_FROM_SOURCE === '1';
if (fromSource) (await import('tsx/esm/api')).register();
const { main } = await import(fromSource ? '../src/cli/main.ts' : '../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
