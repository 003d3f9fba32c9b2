#!/usr/bin/env node
// Entry point for `npx chainrule`: runs the built CLI in dist/ (`npm run build`, which `npm ci` and
// `npm pack` run through the `prepare` script). Plain JavaScript, so a command starts without any
// TypeScript toolchain.
import { existsSync, readFileSync } from 'node:fs';

// `--version` alone answers from package.json without loading the CLI (commander and the command
// table cost ~30 ms of the start-up budget); the CLI's own --version prints the same line.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

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
const entry = new URL(fromSource ? '../src/cli/main.ts' : '../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  // Only a source checkout can lack dist/ (the package ships it): say how to build, not a module error.
  process.stderr.write(
    "error: chainrule is not built (dist/ is missing)\n  hint: run 'npm run build' in the chainrule checkout (npm ci does it too)\n",
  );
  process.exit(1);
}
if (fromSource) (await import('tsx/esm/api')).register();
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
