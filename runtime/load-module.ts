// Loads a generated model module (TypeScript source text) into this process: esbuild strips the
// types, the JS is imported from a data: URL (nothing written to disk), and the result is
// checked against the ModelModule shape so a wrong file fails here with a clear message rather
// than later with "createModel is not a function".
import { RuntimeError } from './errors.js';
import type { GeneratedModel, ModelInfo, ModelModule } from './model.js';

async function transpile(tsSource: string, name: string): Promise<string> {
  // Imported on first use: `compile` alone (and `import 'chainrule'`) never starts esbuild.
  const { transformSync } = await import('esbuild');
  try {
    return transformSync(tsSource, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: `${name}.ts` }).code;
  } catch (err) {
    throw new RuntimeError(
      `cannot transpile model module '${name}': ${(err as Error).message}`,
      'the module must be TypeScript as emitted by `chainrule compile`',
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** What is missing from a would-be chainrule module, or undefined if it has the expected shape. */
function shapeProblem(mod: Record<string, unknown>): string | undefined {
  if (typeof mod['createModel'] !== 'function') return 'it does not export a function `createModel`';
  const info = mod['modelInfo'];
  if (!isRecord(info)) return 'it does not export `modelInfo`';
  if (typeof info['name'] !== 'string') return '`modelInfo.name` is not a string';
  if (info['dtype'] !== 'f32' && info['dtype'] !== 'f64') return '`modelInfo.dtype` is not f32 or f64';
  if (info['batch'] !== null && typeof info['batch'] !== 'number') return '`modelInfo.batch` is not a number or null';
  for (const key of ['inputs', 'targets', 'outputs'] as const) {
    if (!isRecord(info[key])) return `\`modelInfo.${key}\` is not an object`;
  }
  if (!Array.isArray(info['classTargets'])) return '`modelInfo.classTargets` is not an array';
  return undefined;
}

function isModelModule(mod: Record<string, unknown>): mod is Record<string, unknown> & ModelModule {
  return shapeProblem(mod) === undefined;
}

/** Checks a freshly created model has the methods the runtime calls. */
function modelProblem(model: unknown): string | undefined {
  if (!isRecord(model)) return '`createModel()` did not return an object';
  for (const key of ['forward', 'toJSON', 'loadParams'] as const) {
    if (typeof model[key] !== 'function') return `the model has no method \`${key}\``;
  }
  // A spec without a loss compiles to an inference-only module: neither training method.
  if ((typeof model['lossAndGrads'] === 'function') !== (typeof model['trainStep'] === 'function')) {
    return 'the model has only one of `lossAndGrads` and `trainStep`';
  }
  if (!isRecord(model['params']) || !isRecord(model['grads'])) return 'the model has no `params`/`grads` records';
  return undefined;
}

/**
 * Transpiles and imports generated model source, e.g. from `compile(spec).source`.
 * @example
 *   const mod = await loadModuleSource(readFileSync('out/mnist_mlp.ts', 'utf8'), 'mnist_mlp');
 *   const model = mod.createModel({ seed: 1 });
 */
export async function loadModuleSource(tsSource: string, name: string): Promise<ModelModule> {
  return loadModuleJs(await transpile(tsSource, name), name);
}

/** Imports generated model JavaScript (the `.js` that `compile` writes beside the `.ts`) and checks its shape. */
export async function loadModuleJs(jsSource: string, name: string): Promise<ModelModule> {
  // The sourceURL keeps stack traces short and readable (otherwise they quote the whole data: URL).
  const js = `${jsSource}\n//# sourceURL=chainrule-model/${encodeURIComponent(name)}.js\n`;
  const url = `data:text/javascript;base64,${Buffer.from(js, 'utf8').toString('base64')}`;
  let mod: unknown;
  try {
    mod = await import(/* @vite-ignore */ url);
  } catch (err) {
    throw new RuntimeError(`model module '${name}' failed to load: ${(err as Error).message}`);
  }
  const notChainrule = (why: string): RuntimeError =>
    new RuntimeError(
      `'${name}' is not a chainrule model module: ${why}`,
      'load the .ts file written by `chainrule compile` or `chainrule train`',
    );
  if (!isRecord(mod) || !isModelModule(mod))
    throw notChainrule(isRecord(mod) ? (shapeProblem(mod) ?? '') : 'it exports nothing');
  const probe = modelProblem(mod.createModel({ seed: 0 }));
  if (probe !== undefined) throw notChainrule(probe);
  const create = mod.createModel;
  const createAsync = mod.createModelAsync;
  return {
    createModel: (options) => trainingGuarded(create(options), name),
    ...(createAsync === undefined
      ? {}
      : { createModelAsync: async (options) => trainingGuarded(await createAsync(options), name) }),
    modelInfo: mod.modelInfo,
  };
}

/**
 * An inference-only model (its spec has no loss) gets `lossAndGrads`/`trainStep` that say why
 * they cannot run, instead of a bare "is not a function" from deep inside a training loop.
 */
function trainingGuarded(model: GeneratedModel, name: string): GeneratedModel {
  if (typeof (model as Partial<GeneratedModel>).trainStep === 'function') return model;
  const refuse = (): never => {
    throw new RuntimeError(
      `model '${name}' has no loss, so it has no training step or gradients`,
      'add a "loss" to the spec (e.g. "loss": { "op": "cross_entropy", "input": "probs", "target": "y" }) and compile again',
    );
  };
  return Object.assign(model, { lossAndGrads: refuse, trainStep: refuse });
}

export type { ModelInfo, ModelModule };
