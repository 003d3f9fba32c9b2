// `chainrule export` and `chainrule import` from the command line: files written, round trip
// through the CLI, and failures that write nothing.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../runtime/safetensors.js';
import { cli } from '../../e2e/cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-interop-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chainrule export / import', () => {
  it('exports iris to ONNX and imports it back: the spec checks, the weights are the seeded ones', async () => {
    const onnx = join(dir, 'models', 'iris.onnx');
    const exported = await cli(['export', 'examples/iris_mlp.json', '--format', 'onnx', '--out', onnx, '--seed', '5']);
    expect(exported).toMatchObject({ code: 0, stdout: `wrote ${onnx}\n` });
    const out = join(dir, 'imported');
    const imported = await cli(['import', onnx, '--out', out]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(`wrote ${join(out, 'iris_mlp.json')} and ${join(out, 'weights.safetensors')}\n`);
    const check = await cli(['check', join(out, 'iris_mlp.json')]);
    expect(check.stdout).toContain('ok: iris_mlp — 4 nodes, 131 parameters');
    const weights = readSafetensors(join(out, 'weights.safetensors'));
    expect(weights.tensors['fc1.weight']?.shape).toEqual([4, 16]);
    expect(weights.metadata).toMatchObject({ format: 'chainrule', model: 'iris_mlp', dtype: 'f32' });
    // Re-exporting the imported spec with the imported weights gives the same file.
    const again = join(dir, 'again.onnx');
    await cli([
      'export',
      join(out, 'iris_mlp.json'),
      '--format',
      'onnx',
      '--weights',
      join(out, 'weights.safetensors'),
      '--out',
      again,
    ]);
    expect(readFileSync(again).equals(readFileSync(onnx))).toBe(true);
  });

  it('exports the training step and a tfjs model', async () => {
    const step = join(dir, 'xor.train.onnx');
    expect((await cli(['export', 'examples/xor_mlp.json', '--format', 'onnx-training', '--out', step])).code).toBe(0);
    expect(readFileSync(step).length).toBeGreaterThan(100);
    const web = join(dir, 'web');
    expect((await cli(['export', 'examples/residual_mlp.json', '--format', 'tfjs', '--out', web])).code).toBe(0);
    expect(existsSync(join(web, 'model.json')) && existsSync(join(web, 'weights.bin'))).toBe(true);
  });

  it('a weights file for another spec is refused by name, nothing written', async () => {
    const out = join(dir, 'never.onnx');
    const trained = join(dir, 'imported', 'weights.safetensors'); // iris weights
    const r = await cli(['export', 'examples/xor_mlp.json', '--format', 'onnx', '--weights', trained, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no tensor 'fc1\.weight'|is \[4, 16\] but the spec needs \[2, 8\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('a malformed model exits 1 with the reason and writes nothing', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, Uint8Array.from([0x08, 0x07, 0x12, 0xff, 0xff, 0xff, 0x0f]));
    const out = join(dir, 'nothing');
    const r = await cli(['import', bad, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${bad} is not a valid ONNX model`);
    expect(existsSync(out)).toBe(false);
  });
});
