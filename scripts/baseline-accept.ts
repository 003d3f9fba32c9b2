// `npm run baseline:accept`: copies every freshly produced baseline in test/baselines/local/ to
// test/baselines/reference/, after the tests wrote them. Read the diff before committing:
// unrelated baseline changes are clues.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../test/baselines/', import.meta.url).pathname;
const local = join(root, 'local');
const reference = join(root, 'reference');

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

if (!existsSync(local)) {
  console.error('no test/baselines/local/: run the tests first (npm test)');
  process.exit(1);
}
let changed = 0;
const files = filesUnder(local).sort();
for (const file of files) {
  const to = join(reference, file);
  const same = existsSync(to) && readFileSync(to).equals(readFileSync(join(local, file)));
  if (same) continue;
  mkdirSync(join(to, '..'), { recursive: true });
  copyFileSync(join(local, file), to);
  console.log(`accepted ${file}`);
  changed++;
}
console.log(`${changed} baseline${changed === 1 ? '' : 's'} updated, ${files.length - changed} unchanged`);
