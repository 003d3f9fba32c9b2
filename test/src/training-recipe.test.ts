// The spec's `train` section carries the training recipe (epochs, batch size, validation split,
// augmentation); runTraining follows it, and the options the CLI flags map to override it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/api.js';
import { runTraining } from '../../src/training.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-recipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silent = { write: (): boolean => true };

/** examples/xor_mlp.json with a recipe in its train section. */
function xorWithRecipe(recipe: Record<string, number>): string {
  const spec = JSON.parse(readFileSync('examples/xor_mlp.json', 'utf8')) as { train: Record<string, unknown> };
  spec.train = { ...spec.train, ...recipe };
  const path = join(dir, `xor_${Object.values(recipe).join('_')}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

interface RunRecord {
  readonly run: {
    readonly epochs: number;
    readonly batchSize: number;
    readonly valSplit: number;
    readonly augment: number;
  };
}

function recorded(out: string): RunRecord['run'] {
  return (JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as RunRecord).run;
}

describe('the training recipe in the spec', () => {
  const specPath = xorWithRecipe({ epochs: 2, batchSize: 16, valSplit: 0.25, augment: 0 });

  it('is what a run uses when no option says otherwise', async () => {
    const out = join(dir, 'from-spec');
    const r = await runTraining({ specPath, data: 'xor', out, quiet: true, diagrams: false }, silent);
    expect(r.status).toBe('done');
    expect(r.history.length).toBe(2);
    expect(recorded(out)).toMatchObject({ epochs: 2, batchSize: 16, valSplit: 0.25, augment: 0 });
  });

  it('yields to the options (the CLI flags)', async () => {
    const out = join(dir, 'overridden');
    const r = await runTraining(
      { specPath, data: 'xor', out, quiet: true, diagrams: false, epochs: 1, batch: 8, valSplit: 0.5 },
      silent,
    );
    expect(r.history.length).toBe(1);
    expect(recorded(out)).toMatchObject({ epochs: 1, batchSize: 8, valSplit: 0.5 });
  });

  it('changes nothing in the compiled module', () => {
    const plain = compile('examples/xor_mlp.json');
    expect(compile(specPath).source).toBe(plain.source);
  });

  it('is in examples/mnist_mlp.json: the demo recipe (15 epochs, shift augmentation)', () => {
    const spec = JSON.parse(readFileSync('examples/mnist_mlp.json', 'utf8')) as { train: Record<string, unknown> };
    expect(spec.train).toMatchObject({ epochs: 15, batchSize: 32, valSplit: 0.2, augment: 1 });
  });
});
