// `chainrule studio` as a user runs it: a real process that prints its URL first, serves the page,
// and stops cleanly on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from '../../e2e/cli-harness.js';

function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.on('exit', (code) => reject(new Error(`studio exited with ${code} before printing its URL`)));
  });
}

describe('chainrule studio', () => {
  it('prints the URL first, serves the page and exits 0 on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [join(root, 'bin/chainrule.js'), 'studio', 'examples/xor_mlp.json', '--no-open', '--port', '0'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await firstLine(child);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const start = (await (await fetch(`${url}api/start`)).json()) as { file: string };
    expect(start.file).toBe('xor_mlp.json');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('refuses a spec file it cannot read, saying which', async () => {
    const run = await cli(['studio', 'examples/nope.json', '--no-open']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cannot read 'examples/nope.json': no such file");
  });

  it('rejects a bad port as a usage error', async () => {
    const run = await cli(['studio', '--port', 'abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("expected a port 0–65535, got 'abc'");
  });
});
