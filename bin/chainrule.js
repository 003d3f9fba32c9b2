#!/usr/bin/env node
// Entry point for `npx chainrule`: runs the TypeScript CLI through tsx's loader (a dependency),
// so no build step is needed after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
