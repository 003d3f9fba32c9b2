// The chainrule peer: the module generated for the workload's spec at a fixed batch, with the
// benchmark's initial weights copied into its `params`. The parent compiled it to JS
// (`bench/chainrule-module.ts`); this worker only imports that file, never the compiler, so the
// process holds what a user's program would: Node plus the generated code.
import { pathToFileURL } from 'node:url';
import type { GeneratedModel, ModelModule } from '../../runtime/model.js';
import { weightOf } from '../data.js';
import type { Mode } from '../workloads.js';
import { PeerUnavailableError, type PeerSession, type PeerSetup } from './peer.js';

/** Copies the shared weights in, checking the generated module uses the documented keys and sizes. */
function copyWeights(model: GeneratedModel, setup: PeerSetup): void {
  for (const layer of setup.net.layers) {
    for (const key of [`${layer.name}.weight`, `${layer.name}.bias`]) {
      const source = weightOf(setup.weights, key);
      const target = model.params[key];
      if (!target || target.length !== source.length) {
        const found = target ? `length ${target.length}` : `missing (has: ${Object.keys(model.params).join(', ')})`;
        throw new Error(`chainrule params['${key}'] should have length ${source.length}, found ${found}`);
      }
      target.set(source);
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Checked as far as the benchmark relies on it; the rest is the generated module's contract. */
function isModelModule(mod: unknown): mod is ModelModule {
  return (
    isRecord(mod) &&
    typeof mod['createModel'] === 'function' &&
    isRecord(mod['modelInfo']) &&
    typeof mod['modelInfo']['arenaBytes'] === 'number'
  );
}

async function importModule(path: string): Promise<ModelModule> {
  const mod: unknown = await import(pathToFileURL(path).href);
  if (!isModelModule(mod)) {
    throw new Error(
      `${path} is not a chainrule module (needs createModel and modelInfo.arenaBytes); delete bench/.cache and re-run`,
    );
  }
  return mod;
}

/** A module's creators as the threads option (issue 16) defines them; older modules have no `threads`. */
interface ThreadedModule {
  createModelAsync?(options: { seed?: number; threads?: number }): Promise<GeneratedModel>;
}

/**
 * The model: `createModel` on one thread, `createModelAsync({ threads })` (the only creator that
 * starts workers) for more. A module that refuses the thread count (a RangeError: modules before
 * issue 16's threads, or a platform without SharedArrayBuffer) makes the peer unavailable.
 */
async function createModel(module: ModelModule, path: string, threads: number): Promise<GeneratedModel> {
  if (threads === 1) return module.createModel({ seed: 1 });
  const creator = (module as ModelModule & ThreadedModule).createModelAsync;
  if (creator === undefined) throw new PeerUnavailableError(`${path} has no createModelAsync (needed for threads)`);
  try {
    return await creator({ seed: 1, threads });
  } catch (error) {
    if (error instanceof RangeError)
      throw new PeerUnavailableError(`createModelAsync({ threads: ${threads} }): ${error.message}`);
    throw error;
  }
}

export async function openChainrule(setup: PeerSetup, threads = 1): Promise<PeerSession> {
  const { net, batch, data } = setup;
  if (setup.module === undefined) {
    throw new Error(
      'the chainrule peer needs job.module, the JS compiled by the parent (prepareModule in bench/chainrule-module.ts)',
    );
  }
  const module = await importModule(setup.module);
  if (module.modelInfo.batch !== batch) {
    throw new Error(
      `${setup.module} was compiled for batch ${module.modelInfo.batch ?? 'dynamic'}, the workload needs ${batch}`,
    );
  }
  const model = await createModel(module, setup.module, threads);
  copyWeights(model, setup);
  const inputs = { [net.inputName]: data.x };
  const targets = { [net.targetName]: data.y };

  const forward = (): Float32Array => {
    const out = model.forward(inputs)[net.outputName];
    if (!(out instanceof Float32Array)) throw new Error(`chainrule forward() returned no float32 '${net.outputName}'`);
    return out;
  };
  const repeat = (mode: Mode, n: number): void => {
    if (mode === 'train') for (let i = 0; i < n; i++) model.trainStep(inputs, targets);
    else for (let i = 0; i < n; i++) model.forward(inputs);
  };

  return {
    trainStep: async () => model.trainStep(inputs, targets),
    forward: async () => Float32Array.from(forward()),
    repeat: async (mode, n) => repeat(mode, n),
    info: {
      arenaBytes: module.modelInfo.arenaBytes,
      batch: module.modelInfo.batch ?? 'dynamic',
      ...(threads === 1 ? {} : { threads }),
    },
    // Ends the model's worker threads (threaded modules), so the worker process can exit.
    dispose: async () => model.dispose?.(),
  };
}
