// The chainrule peer: the module generated for the workload's spec at a fixed batch, loaded
// in-process, with the benchmark's initial weights copied into its `params`.
import type { GraphSpec } from '../../compiler/spec/graph-spec.js';
import type { GeneratedModel, ModelModule } from '../../runtime/model.js';
import { weightOf } from '../data.js';
import type { Mode } from '../workloads.js';
import { PeerUnavailableError, type PeerSession, type PeerSetup } from './peer.js';

type LoadModel = (spec: GraphSpec, options: { dtype: 'f32'; batch: number }) => Promise<ModelModule>;

// NOTE: imported by a computed specifier so the harness type-checks and runs the other peers while
// `src/api.ts` is still being written; the module's shape is checked below instead.
const apiSpecifier = ['..', '..', 'src', 'api.js'].join('/');

async function importLoad(): Promise<LoadModel> {
  let api: unknown;
  try {
    api = await import(apiSpecifier);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PeerUnavailableError(`cannot import src/api.ts (${reason.split('\n')[0]})`);
  }
  if (typeof api !== 'object' || api === null || !('load' in api) || typeof api.load !== 'function') {
    throw new PeerUnavailableError('src/api.ts does not export load(spec, { dtype, batch })');
  }
  return api.load as LoadModel;
}

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

export async function openChainrule(setup: PeerSetup): Promise<PeerSession> {
  const { net, batch, data } = setup;
  const load = await importLoad();
  const module = await load(net.spec, { dtype: 'f32', batch });
  const model = module.createModel({ seed: 1 });
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
    info: { arenaBytes: module.modelInfo.arenaBytes, batch: module.modelInfo.batch ?? 'dynamic' },
    dispose: async () => undefined,
  };
}
