// Writes that never leave a half-written file: write a temp file next to the target, flush it,
// then rename over the target (atomic on POSIX file systems within one directory).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `mkdir -p` one level at a time. NOTE: not `mkdirSync(path, { recursive: true })`, which in
 * Node 20 loops forever under /proc; here each missing level is created (or fails) once.
 */
export function makeDirs(path: string): void {
  const full = resolve(path);
  const missing: string[] = [];
  for (let dir = full; ; dir = dirname(dir)) {
    let isDir: boolean;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(dir);
      if (dirname(dir) === dir) break;
      continue;
    }
    if (!isDir) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    break;
  }
  for (const dir of missing.reverse()) mkdirSync(dir);
}
