// `chainrule draw` end to end: spawns the real CLI (bin/chainrule.js) and checks what it writes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDot } from '../../support/read-dot.js';
import { decodePng } from './support.js';

const root = new URL('../../../', import.meta.url).pathname;
const bin = join(root, 'bin/chainrule.js');
const twoLayer = join(root, 'examples/two_layer_sigmoid.json');
const dir = mkdtempSync(join(tmpdir(), 'chainrule-draw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function draw(args: readonly string[], cwd = root): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'draw', ...args], { cwd, encoding: 'buffer', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

describe('chainrule draw', () => {
  it('writes the backprop view as SVG to stdout by default', () => {
    const r = draw([twoLayer]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const svg = r.stdout.toString('utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('∂L/∂z.weight');
    expect(svg).toContain(
      'two_layer_sigmoid — backpropagation: forward (blue), backward (red), remembered values (grey)',
    );
  });

  it('writes DOT for any view, and the backward view has no forward edges', () => {
    const r = draw([twoLayer, '--view', 'backward', '--format', 'dot']);
    expect(r.status).toBe(0);
    const dot = readDot(r.stdout.toString('utf8'));
    expect(dot.nodes.has('d(z.weight)')).toBe(true);
    expect(dot.edges.some((e) => e.attrs.get('class')?.text === 'forward')).toBe(false);
  });

  it('writes a PNG to a redirected or piped stdout (never an empty file), or to -o', () => {
    // stdout is a pipe here, as in `draw … --format png > x.png`: the PNG goes there, no file is named.
    // (On a terminal, with no -o, it goes to <name>.<view>.png; `-o -` on a terminal is a usage error.)
    const piped = draw([twoLayer, '--view', 'forward', '--format', 'png', '--width', '800'], dir);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expect(decodePng(piped.stdout).width).toBe(800);
    const out = join(dir, 'joint.png');
    expect(draw([twoLayer, '--format', 'png', '-o', out]).status).toBe(0);
    expect(decodePng(readFileSync(out)).width).toBeGreaterThan(800);
  });

  it('explains why a spec without a loss has no backward view, and still draws its forward view', () => {
    const spec = JSON.parse(readFileSync(twoLayer, 'utf8'));
    delete spec.loss;
    delete spec.targets;
    delete spec.train;
    const file = join(dir, 'no_loss.json');
    writeFileSync(file, JSON.stringify(spec, null, 2));
    const joint = draw([file]);
    expect(joint.status).toBe(1);
    expect(joint.stderr).toContain("spec 'two_layer_sigmoid' has no loss, so it has no backward graph to draw");
    expect(joint.stderr).toContain('hint: draw it with --view forward');
    const forward = draw([file, '--view', 'forward', '--format', 'dot']);
    expect(forward.status).toBe(0);
    expect(readDot(forward.stdout.toString('utf8')).nodes.has('z')).toBe(true);
  });

  it('rejects a bad view and an unwritable output with a message, not a stack trace', () => {
    const view = draw([twoLayer, '--view', 'sideways']);
    expect(view.status).not.toBe(0);
    expect(view.stderr).toContain("argument 'sideways' is invalid");
    const unwritable = draw([twoLayer, '--format', 'dot', '-o', join(dir, 'missing', 'x.dot')]);
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toContain(`error: cannot write ${join(dir, 'missing', 'x.dot')}`);
    expect(unwritable.stderr).not.toContain('    at ');
  });
});
