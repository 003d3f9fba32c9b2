// Files the package ships next to its code (examples/, schema/), found from this module's place:
// src/package-file.ts when run from source, dist/src/package-file.js when built.
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of `relative` in the package root.
 * @example packageFile('examples/mnist_mlp.json')
 */
export function packageFile(relative: string): string {
  const parent = new URL('../', import.meta.url);
  const root = parent.pathname.endsWith('/dist/') ? new URL('../', parent) : parent;
  return fileURLToPath(new URL(relative, root));
}
