// The fuzz worker: a child process that rebuilds each case from (set, index, seed), runs it
// through chainrule in this process, applies the set's oracle, and sends back the outcome. The
// parent kills it on a time-out or when it grows past the memory limit, and restarts it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChainruleError, type Diagnostic } from '../../compiler/diagnostics.js';
import type { GraphSpec } from '../../compiler/frontend/graph-spec.js';
import type { Graph } from '../../compiler/ir/types.js';
import { interpret } from '../../compiler/interp/interpret.js';
import { readCheckpoint } from '../../runtime/checkpoint.js';
import { loadDataset } from '../../runtime/datasets/index.js';
import { RuntimeError } from '../../runtime/errors.js';
import { loadModuleJs } from '../../runtime/load-module.js';
import type { Feed, GeneratedModel, ModelModule } from '../../runtime/model.js';
import { compile } from '../../src/api.js';
import { checkSpecValue } from '../../src/frontend/check.js';
import { loadSpecFile, loadSpecText } from '../../src/frontend/load.js';
import { importOnnx } from '../../src/interop/onnx/import.js';
import { loadTrained } from '../../src/training.js';
import { randomBatch, recordMismatches, stepProblems, TOLERANCE } from '../../test/compiler/codegen/support.js';
import { compileSpec } from '../../test/support/pipeline.js';
import { rng } from '../../test/support/rng.js';
import { type CsvCase, csvCase } from './csv.js';
import { type ModuleCase, type ModuleSpec, moduleCase, needsTargets } from './module-calls.js';
import { type OnnxCase, onnxCase } from './onnx.js';
import { type SpecCase, specCase } from './specs.js';
import { baseWeights } from './cases.js';
import type { WorkerRequest } from './cases.js';
import { type CaseResult, firstLine, INTERNAL_MESSAGE, isLocated, type Outcome } from './types.js';
import { oracleTensors, type WeightBase, type WeightsCase, weightsCase } from './weights.js';

export type { WorkerRequest } from './cases.js';

type Verdict = readonly [Outcome, string];

const root = new URL('../../', import.meta.url).pathname;
let scratchDir: string | undefined;

/** This process's folder for case files, removed at exit. */
function scratchPath(name: string): string {
  if (scratchDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'chainrule-fuzz-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratchDir = dir;
  }
  return join(scratchDir, name);
}

/** Marks a rejection of input that is valid (counted apart: not a failure, but worth a look). */
export const REFUSED_VALID = 'refused valid input: ';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A thrown value: clean (RuntimeError/ChainruleError with a message of ours) or a crash. */
function thrown(err: unknown): Verdict {
  const text = message(err);
  if (INTERNAL_MESSAGE.test(text)) return ['crash', `${err instanceof Error ? err.name : 'throw'}: ${text}`];
  if (err instanceof ChainruleError) return diagnostics(err.diagnostics);
  if (err instanceof RuntimeError) return [isLocated(text) ? 'located' : 'unlocated', text];
  return ['crash', `${err instanceof Error ? err.name : typeof err}: ${text}`];
}

function diagnostics(errors: readonly Diagnostic[]): Verdict {
  const text = errors.map((d) => d.message).join(' | ');
  if (INTERNAL_MESSAGE.test(text)) return ['crash', text];
  return [errors.length > 0 && errors.every((d) => d.loc !== undefined) ? 'located' : 'unlocated', text];
}

// ---------------------------------------------------------------------------------------------
// Specs: check, compile as `chainrule compile` does (f32, .ts + .js), and for small accepted
// specs compare the module (f64) with the interpreter on a random batch.

const PARITY_TOLERANCE = { rel: 1e-9, abs: 1e-9 };

function paramCount(graph: Graph): number {
  let n = 0;
  for (const node of graph.nodes)
    if (node.op === 'param') n += node.type.shape.reduce<number>((a, d) => a * (d === 'B' ? 1 : d), 1);
  return n;
}

/** A parameter off every path to the loss: the interpreter has no gradient, the module a zero one. */
function zeroGradOfDeadParam(problem: string, model: GeneratedModel): boolean {
  const m = /grad (\S+): unexpected$/.exec(problem);
  return m !== null && (model.grads[m[1]!]?.every((v) => v === 0) ?? false);
}

async function runSpec(c: SpecCase, index: number, parityEvery: number): Promise<Verdict> {
  let loaded: ReturnType<typeof loadSpecText>;
  if (c.bytes !== undefined) {
    const path = scratchPath('spec.json');
    writeFileSync(path, c.bytes);
    loaded = loadSpecFile(path);
  } else loaded = loadSpecText(c.text ?? '', 'fuzz.json');
  if (!loaded.ok) return diagnostics(loaded.errors);
  const spec: GraphSpec = loaded.spec;
  let graph: Graph;
  try {
    graph = compile(loaded, { emit: 'both' }).graph;
  } catch (err) {
    return thrown(err);
  }
  if (graph.nodes.length > 400 || paramCount(graph) > 200_000) return ['accepted', 'compiled (too big for parity)'];
  // Parity costs two more compiles and a module load: every accepted spec in the quick slice, one
  // in `parityEvery` in the full run (still over a thousand specs).
  if (index % parityEvery !== 0) return ['accepted', 'compiled'];
  try {
    const seed = 7;
    const compiled = compile(spec, { dtype: 'f64', emit: 'js' });
    const mod = await loadModuleJs(compiled.js ?? '', compiled.name);
    const model = mod.createModel({ seed });
    // The interpreter runs the unoptimized graph: the joint one with a loss, the forward one without.
    const reference = spec.loss === undefined ? compiled.stages[0]!.graph : compileSpec(spec, { dtype: 'f64' }).joint;
    const batch = randomBatch(reference, 3, rng(seed), 'f64');
    // Only what one step computes from the initial parameters: a second step after a huge learning
    // rate amplifies rounding differences chaotically (found with lr 0.5 on 1,000 inputs), so
    // step-2 values are no oracle. Non-finite expectations are skipped likewise.
    const problems = stepProblems(model, reference, batch, PARITY_TOLERANCE).filter(
      (p) => !p.startsWith('step 2') && !/NaN|Infinity/.test(p) && !zeroGradOfDeadParam(p, model),
    );
    if (spec.loss !== undefined) {
      // Parameters after one step, from a fresh model.
      const fresh = mod.createModel({ seed });
      const start = fresh.toJSON();
      const want = interpret(reference, {
        feeds: { ...batch.inputs, ...batch.targets },
        params: start.params,
        state: start.state,
      });
      fresh.trainStep(batch.inputs, batch.targets);
      const more = recordMismatches(fresh.params, want.params, 'step 1 param', PARITY_TOLERANCE).filter(
        (p) => !/NaN|Infinity/.test(p),
      );
      problems.push(more[0] ?? '');
    }
    const first = problems.find((p) => p !== '');
    return first === undefined ? ['accepted', 'parity ok'] : ['silent', `module ≠ interpreter: ${first}`];
  } catch (err) {
    return ['crash', `accepted spec does not run: ${thrown(err)[1]}`];
  }
}

// ---------------------------------------------------------------------------------------------
// CSV: loadDataset (what --data uses) against the rows the case wrote.

/** The class name a correct loader gives each label: integer labels below 4096 are indices, others names. */
function classNamer(labels: readonly string[]): (label: string) => string {
  let indices = true;
  let max = 0;
  for (const l of labels) {
    indices &&= /^\d+$/.test(l);
    max = Math.max(max, Number(l));
  }
  return indices && max < 4096 ? (l) => String(Number(l)) : (l) => l;
}

function runCsv(c: CsvCase): Verdict {
  const path = scratchPath('data.csv');
  writeFileSync(path, c.bytes);
  let ds: ReturnType<typeof loadDataset>;
  try {
    ds = loadDataset(path, { seed: 1 });
  } catch (err) {
    const [outcome, text] = thrown(err);
    const refused = typeof c.expect === 'object' && (outcome === 'located' || outcome === 'unlocated');
    return [outcome, refused ? REFUSED_VALID + text : text];
  }
  if (c.expect === 'reject') return ['silent', `accepted a defective file (${ds.numRows} rows)`];
  if (c.expect === 'either') return ['accepted', `${ds.numRows} rows`];
  const e = c.expect;
  const rows = e.labels.length;
  if (ds.numRows !== rows || ds.numFeatures !== e.numFeatures)
    return ['silent', `loaded ${ds.numRows}×${ds.numFeatures}, the file has ${rows}×${e.numFeatures}`];
  for (let i = 0; i < e.features.length; i++) {
    if (!Object.is(ds.features[i], e.features[i]) && ds.features[i] !== e.features[i])
      return [
        'silent',
        `value ${i} (row ${Math.floor(i / e.numFeatures) + 1}) is ${ds.features[i]}, the file has ${e.features[i]}`,
      ];
  }
  const className = classNamer(e.labels);
  for (let r = 0; r < rows; r++) {
    const got = ds.classNames[ds.labels[r]!];
    const want = className(e.labels[r]!);
    if (got !== want) return ['silent', `row ${r + 1} is class '${got}', the file says '${want}'`];
  }
  return ['accepted', `${rows} rows`];
}

// ---------------------------------------------------------------------------------------------
// Weights: `eval`/`predict`'s loader (loadTrained) and the module's own loadSafetensors; whatever
// is accepted must hold exactly the file's values.

const WEIGHT_SPECS: Readonly<Record<WeightBase, string>> = {
  xor: join(root, 'examples/xor_mlp.json'),
  iris: join(root, 'examples/iris_mlp.json'),
};

function sameValues(
  params: Readonly<Record<string, ArrayLike<number>>>,
  file: Readonly<Record<string, Float64Array>>,
  prefix = '',
): string | undefined {
  for (const [name, values] of Object.entries(params)) {
    const want = file[prefix + name];
    if (want === undefined) return `'${name}' loaded but the file has no such tensor`;
    if (want.length !== values.length) return `'${name}' has ${values.length} values, the file ${want.length}`;
    for (let i = 0; i < values.length; i++) {
      if (!Object.is(values[i], Math.fround(want[i]!)) && values[i] !== want[i])
        return `'${name}'[${i}] is ${values[i]}, the file holds ${want[i]}`;
    }
  }
  return undefined;
}

async function runWeights(c: WeightsCase): Promise<Verdict> {
  const dir = scratchPath('w');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, c.file);
  writeFileSync(path, c.bytes);
  const oracle = oracleTensors(c.bytes);
  const verdicts: Verdict[] = [];
  // 1. What `chainrule eval`/`predict` (weights) or `train --resume` (checkpoint) read.
  try {
    if (c.file === 'weights.safetensors') {
      const trained = await loadTrained(WEIGHT_SPECS[c.base], path);
      const wrong = oracle === undefined ? 'the file does not decode' : sameValues(trained.model.params, oracle);
      verdicts.push(wrong === undefined ? ['accepted', 'eval loader'] : ['silent', `eval loader: ${wrong}`]);
    } else {
      const cp = readCheckpoint(path);
      // What `train --resume` does next: the module's loadParams must take what the reader accepted.
      const fresh = (await moduleFor(c.base === 'xor' ? 'xor_mlp' : 'iris_mlp')).mod.createModel({ seed: 1 });
      try {
        fresh.loadParams(cp.state.model);
      } catch (err) {
        return ['crash', `resume: the checkpoint reader accepted what loadParams refuses: ${message(err)}`];
      }
      const wrong = oracle === undefined ? 'the file does not decode' : sameValues(cp.state.model.params, oracle);
      verdicts.push(
        wrong === undefined ? ['accepted', 'checkpoint reader'] : ['silent', `checkpoint reader: ${wrong}`],
      );
    }
  } catch (err) {
    verdicts.push(thrown(err));
  }
  // 2. The generated module's loadSafetensors (what an app calls).
  const model = (await moduleFor(c.base === 'xor' ? 'xor_mlp' : 'iris_mlp')).mod.createModel({ seed: 1 });
  const before = JSON.stringify(model.toJSON());
  try {
    (model as GeneratedModel & { loadSafetensors(b: Uint8Array): unknown }).loadSafetensors(c.bytes);
    const wrong = oracle === undefined ? 'the file does not decode' : sameValues(model.params, oracle);
    verdicts.push(wrong === undefined ? ['accepted', 'module loader'] : ['silent', `module loader: ${wrong}`]);
  } catch (err) {
    const v = moduleThrown(err);
    verdicts.push(
      JSON.stringify(model.toJSON()) !== before
        ? ['silent', `module loader changed the model and then threw: ${v[1]}`]
        : v,
    );
  }
  return worst(verdicts);
}

const SEVERITY: readonly Outcome[] = ['accepted', 'unlocated', 'located', 'hang', 'oom', 'crash', 'silent'];

/** The more alarming verdict wins; between two clean rejections, the unlocated one. */
function worst(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce((a, b) => {
    const rank = (o: Outcome): number => (o === 'unlocated' ? 2.5 : SEVERITY.indexOf(o));
    return rank(b[0]) > rank(a[0]) ? b : a;
  });
}

// ---------------------------------------------------------------------------------------------
// Module calls.

const INLINE_SPECS: Readonly<Record<string, GraphSpec>> = {
  two_inputs: {
    name: 'two_inputs',
    inputs: { a: [null, 3], b: [null, 3] },
    targets: { y: [null, 2] },
    nodes: [
      { name: 'sum', op: 'add', inputs: ['a', 'b'] },
      { name: 'fc', op: 'linear', input: 'sum', units: 2 },
    ],
    outputs: ['fc'],
    loss: { op: 'mse', input: 'fc', target: 'y' },
    train: { optimizer: 'sgd', lr: 0.1, seed: 1 },
  },
};

const modules = new Map<
  ModuleSpec,
  Promise<{ mod: ModelModule; joint: Graph; simplified: Graph; spec: GraphSpec; batch?: number }>
>();

async function buildModule(
  name: ModuleSpec,
): Promise<{ mod: ModelModule; joint: Graph; simplified: Graph; spec: GraphSpec; batch?: number }> {
  const fixed = name === 'fixed_batch';
  const file = fixed ? 'examples/iris_mlp.json' : `examples/${name}.json`;
  let spec: GraphSpec;
  if (INLINE_SPECS[name] !== undefined) spec = INLINE_SPECS[name]!;
  else {
    const loaded = loadSpecFile(join(root, file));
    if (!loaded.ok) throw new Error(`fuzz: ${file} does not load`);
    spec = loaded.spec;
  }
  const batch = fixed ? 4 : undefined;
  const compiled = compile(spec, { emit: 'js', ...(batch !== undefined ? { batch } : {}) });
  const mod = await loadModuleJs(compiled.js ?? '', compiled.name);
  const { joint } = compileSpec(spec, { dtype: 'f32', ...(batch !== undefined ? { batch } : {}) });
  // The graph the module was generated from, up to the simplify pass: its loss head is the fused
  // closed form (softmax + cross-entropy → (p − y)/n) that defines the op where softmax saturates.
  const simplified = compiled.stages.find((s) => s.pass === 'simplify')?.graph ?? joint;
  return { mod, joint, simplified, spec, ...(batch !== undefined ? { batch } : {}) };
}

function moduleFor(
  name: ModuleSpec,
): Promise<{ mod: ModelModule; joint: Graph; simplified: Graph; spec: GraphSpec; batch?: number }> {
  let m = modules.get(name);
  if (m === undefined) {
    m = buildModule(name);
    modules.set(name, m);
  }
  return m;
}

/** A module's own validation errors (RangeError/TypeError naming the key) versus a crash. */
function moduleThrown(err: unknown): Verdict {
  const text = message(err);
  if (!(err instanceof Error) || INTERNAL_MESSAGE.test(text))
    return ['crash', `${err instanceof Error ? err.name : 'throw'}: ${text}`];
  if (err instanceof ChainruleError || err instanceof RuntimeError) return thrown(err);
  if (!(err instanceof RangeError || err instanceof TypeError)) return ['crash', `${err.name}: ${text}`];
  return [/^[\w.$]+: /.test(text) || /'[^']+'/.test(text) ? 'located' : 'unlocated', text];
}

function convert(kind: string, values: ArrayLike<number>): unknown {
  switch (kind) {
    case 'Float64Array':
      return Float64Array.from(values);
    case 'Float32Array':
      return Float32Array.from(values);
    case 'Int32Array':
      return Int32Array.from(values);
    case 'Uint8Array':
      return Uint8Array.from(values);
    case 'Array':
      return Array.from(values);
    case 'string':
      return 'abc';
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'number':
      return 3;
    default:
      return { length: values.length };
  }
}

/** Numbers an accepted call must have used: typed arrays and plain arrays as given, read as numbers. */
function effective(v: unknown): ArrayLike<number> | undefined {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

/** Classes of the class-index loss: the width of its prediction input. */
function classCount(joint: Graph): number {
  const loss = joint.nodes.find((n) => n.id === joint.loss);
  const pred = joint.nodes.find((n) => n.id === loss?.inputs[0]);
  const last = pred?.type.shape.at(-1);
  return typeof last === 'number' ? last : 0;
}

function argmax(data: ArrayLike<number>, rows: number): Int32Array {
  const width = data.length / rows;
  return Int32Array.from({ length: rows }, (_, i) => {
    let best = 0;
    for (let j = 1; j < width; j++) if ((data[i * width + j] as number) > (data[i * width + best] as number)) best = j;
    return best;
  });
}

/** Whether the loss reads a prediction with an exact 0 or 1 (a saturated softmax or sigmoid). */
function saturated(joint: Graph, values: ReadonlyMap<number, { readonly data: ArrayLike<number> }>): boolean {
  const loss = joint.nodes.find((n) => n.id === joint.loss);
  const pred = loss === undefined ? undefined : values.get(loss.inputs[0]!);
  if (pred === undefined) return false;
  for (let i = 0; i < pred.data.length; i++) if (pred.data[i] === 0 || pred.data[i] === 1) return true;
  return false;
}

async function runModule(c: ModuleCase): Promise<Verdict> {
  const { mod, joint, simplified, batch: fixedBatch } = await moduleFor(c.spec);
  const model = mod.createModel({ seed: c.seed });
  const rows = c.edit.kind === 'batch' && fixedBatch === undefined ? c.edit.rows : c.rows;
  const valid = randomBatch(joint, rows, rng(c.seed), 'f32');
  const inputs: Record<string, unknown> = { ...valid.inputs };
  const targets: Record<string, unknown> = { ...valid.targets };
  let expect = c.expect;
  const e = c.edit;
  const side = (which: 'input' | 'target'): Record<string, unknown> => (which === 'input' ? inputs : targets);
  const firstKey = (o: Record<string, unknown>): string => Object.keys(o)[0] ?? 'x';
  const classTargets = new Set(mod.modelInfo.classTargets);
  let paramsGiven: Record<string, unknown> | undefined;
  switch (e.kind) {
    case 'none':
    case 'batch':
      if (e.kind === 'batch' && fixedBatch !== undefined) expect = 'valid';
      break;
    case 'length': {
      const o = side(e.which);
      const k = firstKey(o);
      const v = o[k] as Float32Array | Int32Array;
      const next = new (v.constructor as new (n: number) => Float32Array | Int32Array)(Math.max(0, v.length + e.delta));
      next.set(v.subarray(0, Math.min(v.length, next.length)));
      o[k] = next;
      // A whole number of rows when the call passes this one array only (forward, predict): a
      // valid call with another batch (module #339 of the first full run was this, not a bug).
      const width = v.length / rows;
      if (
        (v.length + e.delta) % width === 0 &&
        fixedBatch === undefined &&
        Object.keys(inputs).length + (needsTargets(c.method) ? Object.keys(targets).length : 0) === 1
      )
        expect = 'either';
      break;
    }
    case 'mismatched-batch': {
      const k = firstKey(targets);
      const v = targets[k] as Float32Array | Int32Array;
      const width = v.length / rows;
      targets[k] = new (v.constructor as new (n: number) => Float32Array | Int32Array)(v.length + width);
      break;
    }
    case 'array-type': {
      const o = side(e.which);
      const k = firstKey(o);
      const v = o[k] as Float32Array | Int32Array;
      o[k] = convert(e.type, v);
      break;
    }
    case 'value': {
      const o = side(e.which);
      const k = firstKey(o);
      const v = (o[k] as Float32Array | Int32Array).slice();
      v[0] = e.value;
      o[k] = v;
      const stored = v[0] as number;
      if (!Number.isFinite(stored)) expect = 'reject';
      else if (e.which === 'target' && classTargets.has(k)) {
        expect = Number.isInteger(stored) && stored >= 0 && stored < classCount(joint) ? 'either' : 'reject';
      }
      break;
    }
    case 'missing':
      delete side(e.which)[firstKey(side(e.which))];
      break;
    case 'extra':
      Object.defineProperty(side(e.which), e.key, {
        value: new Float32Array(3),
        enumerable: true,
        configurable: true,
        writable: true,
      });
      break;
    case 'not-object':
      break;
    case 'param': {
      const other = mod.createModel({ seed: c.seed + 1000 }).toJSON();
      const p: Record<string, unknown> = { ...other.params };
      const k = Object.keys(p)[0] ?? 'x';
      switch (e.change) {
        case 'subset':
          delete p[k];
          break;
        case 'length':
          p[k] = (p[k] as number[]).slice(1);
          break;
        case 'nan':
          (p[k] as number[])[0] = Number.NaN;
          break;
        case 'string':
          (p[k] as unknown[])[0] = '1';
          break;
        case 'extra':
          p['zz.weight'] = [1];
          break;
        case 'proto':
          Object.defineProperty(p, '__proto__', {
            value: [1, 2],
            enumerable: true,
            configurable: true,
            writable: true,
          });
          break;
        case 'constructor':
          p['constructor'] = [1];
          break;
        default:
          break;
      }
      paramsGiven = p;
      break;
    }
  }
  const notObject = e.kind === 'not-object' ? { null: null, number: 1, string: 'x', array: [] }[e.value] : undefined;
  const callInputs = e.kind === 'not-object' ? notObject : inputs;
  const before = JSON.stringify(model.toJSON());
  const snapshot = model.toJSON();
  const method = c.method === 'predict' && model.predict === undefined ? 'forward' : c.method;
  let result: unknown;
  try {
    switch (method) {
      case 'forward':
        result = model.forward(callInputs as Feed);
        break;
      case 'predict':
        result = model.predict!(callInputs as Feed);
        break;
      case 'lossAndGrads':
        result = model.lossAndGrads(callInputs as Feed, targets as Feed);
        break;
      case 'trainStep':
        result = model.trainStep(callInputs as Feed, targets as Feed);
        break;
      case 'loadParams':
        model.loadParams({
          params: paramsGiven as Record<string, number[]>,
          ...(e.kind === 'param' && e.change === 'state' ? { state: mod.createModel({ seed: 5 }).toJSON().state } : {}),
        });
        break;
    }
  } catch (err) {
    const v = moduleThrown(err);
    if (v[0] === 'crash') return v;
    if (JSON.stringify(model.toJSON()) !== before) return ['silent', `a refused call changed the model: ${v[1]}`];
    return expect === 'valid' ? [v[0], REFUSED_VALID + v[1]] : v;
  }
  if (expect === 'reject') return ['silent', `accepted an invalid call (${method})`];
  // Accepted: the result must be what the interpreter computes from exactly what was passed.
  if (method === 'loadParams') {
    for (const [k, v] of Object.entries(paramsGiven ?? {})) {
      const got = model.params[k];
      if (got === undefined) return ['silent', `loadParams took '${k}' the model lacks`];
      for (let i = 0; i < got.length; i++)
        if (got[i] !== Math.fround((v as number[])[i]!))
          return ['silent', `loadParams: '${k}'[${i}] is ${got[i]}, given ${(v as number[])[i]}`];
    }
    return ['accepted', 'loadParams'];
  }
  const feeds: Record<string, ArrayLike<number>> = {};
  for (const [k, v] of [...Object.entries(inputs), ...Object.entries(targets)]) {
    const n = effective(v);
    if (n === undefined) return ['silent', `accepted '${k}' of type ${typeof v}`];
    feeds[k] = n;
  }
  const batchRows = fixedBatch ?? rows;
  if (batchRows > 10_000) {
    const out = method === 'forward' ? Object.values(result as Record<string, Float32Array>) : [];
    for (const o of out)
      if (o.length % batchRows !== 0) return ['silent', `output of ${o.length} values for ${batchRows} rows`];
    return ['accepted', `${batchRows} rows (no parity)`];
  }
  if (batchRows === 0) return ['accepted', 'batch 0'];
  let ref: ReturnType<typeof interpret>;
  try {
    ref = interpret(joint, { feeds, params: snapshot.params, state: snapshot.state });
  } catch (err) {
    return ['accepted', `the interpreter refuses this feed (${firstLine(message(err))})`];
  }
  const tol = TOLERANCE.f32;
  const close = (a: number, b: number, scale: number): boolean =>
    Math.abs(a - b) <= tol.rel * Math.abs(b) + tol.abs * Math.max(1, scale);
  const compare = (got: ArrayLike<number>, want: ArrayLike<number>, what: string): string | undefined => {
    if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
    let scale = 0;
    for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
    for (let i = 0; i < want.length; i++) {
      if (!Number.isFinite(want[i]!)) continue;
      if (!close(got[i]!, want[i]!, scale)) return `${what}[${i}]: ${got[i]}, expected ${want[i]}`;
    }
    return undefined;
  };
  let wrong: string | undefined;
  if (method === 'forward') {
    for (const [k, v] of Object.entries(result as Record<string, Float32Array>)) {
      const want = ref.outputs[k]?.data;
      wrong ??= want === undefined ? `output '${k}' unknown to the interpreter` : compare(v, want, `forward ${k}`);
    }
  } else if (method === 'predict') {
    const out = Object.values(ref.outputs).find(
      (t) =>
        t.data.length === (result as Int32Array).length * (t.data.length / batchRows) && t.data.length / batchRows > 1,
    );
    if (out !== undefined) wrong = compare(result as Int32Array, argmax(out.data, batchRows), 'predict');
  } else {
    wrong = compare([result as number], [ref.loss ?? Number.NaN], `${method} loss`);
    // trainStep fills grads too; its parameters are not compared: Adam steps by about ±lr whatever
    // the gradient's size, so a gradient that is zero up to rounding can step either way.
    for (const [k, v] of Object.entries(model.grads)) wrong ??= compare(v, ref.grads[k] ?? [], `grad ${k}`);
    // A saturated prediction (an exact 0 or 1) is where the unsimplified chain −y⊘(n·max(p, ε)) ·
    // J_softmax loses the gradient (it is 0 once p underflows) and the fused head (p − y)/n, which
    // defines cross_entropy over softmax (docs/ops.md), keeps it: there the reference is the
    // interpreter on the graph after simplify. Anywhere else the unoptimized graph stays the judge.
    if (wrong !== undefined && saturated(joint, ref.values)) {
      const fused = interpret(simplified, { feeds, params: snapshot.params, state: snapshot.state });
      let again: string | undefined = compare([result as number], [fused.loss ?? Number.NaN], `${method} loss`);
      for (const [k, v] of Object.entries(model.grads)) again ??= compare(v, fused.grads[k] ?? [], `grad ${k}`);
      if (again === undefined) return ['accepted', `${method} (saturated softmax: the fused head)`];
    }
  }
  return wrong === undefined ? ['accepted', method] : ['silent', wrong];
}

// ---------------------------------------------------------------------------------------------
// ONNX import: what was imported must be a spec that checks, with weights that fit it.

async function runOnnx(c: OnnxCase): Promise<Verdict> {
  let imported: ReturnType<typeof importOnnx>;
  try {
    imported = importOnnx(c.bytes, 'fuzz.onnx', { fallbackName: 'fuzz' });
  } catch (err) {
    return thrown(err);
  }
  const checked = checkSpecValue(imported.spec);
  if (!checked.ok) return ['silent', `import wrote a spec that does not check: ${checked.errors[0]?.message}`];
  for (const [name, t] of Object.entries(imported.weights)) {
    for (let i = 0; i < t.data.length; i++)
      if (!Number.isFinite(t.data[i]!)) return ['silent', `import took a non-finite weight '${name}'[${i}]`];
  }
  try {
    const compiled = compile(imported.spec, { emit: 'js' });
    const model = (await loadModuleJs(compiled.js ?? '', compiled.name)).createModel();
    model.loadParams({ params: Object.fromEntries(Object.entries(imported.weights).map(([k, t]) => [k, t.data])) });
  } catch (err) {
    return ['silent', `imported weights do not fit the imported spec: ${firstLine(message(err))}`];
  }
  return ['accepted', imported.spec.name];
}

// ---------------------------------------------------------------------------------------------

export async function runCase(req: WorkerRequest): Promise<CaseResult> {
  const start = performance.now();
  let label = '';
  let verdict: Verdict;
  try {
    switch (req.set) {
      case 'spec': {
        const c = specCase(req.seed, req.index);
        label = c.label;
        verdict = await runSpec(c, req.index, req.parityEvery ?? 1);
        break;
      }
      case 'csv': {
        const c = csvCase(req.seed, req.index);
        label = c.label;
        verdict = runCsv(c);
        break;
      }
      case 'weights': {
        const c = weightsCase(req.seed, req.index, baseWeights(req.dir));
        label = c.label;
        verdict = await runWeights(c);
        break;
      }
      case 'module': {
        const c = moduleCase(req.seed, req.index);
        label = c.label;
        verdict = await runModule(c);
        break;
      }
      case 'onnx': {
        const c = onnxCase(req.seed, req.index);
        label = c.label;
        verdict = await runOnnx(c);
        break;
      }
    }
  } catch (err) {
    verdict = ['crash', `fuzz harness: ${message(err)}`];
  }
  return {
    set: req.set,
    index: req.index,
    outcome: verdict[0],
    label: firstLine(label),
    detail: firstLine(verdict[1]),
    ms: Math.round(performance.now() - start),
  };
}

// Only as the forked worker: imported by a test, this file must not answer the test runner's IPC.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined) {
  process.on('message', (req: WorkerRequest | 'exit') => {
    if (req === 'exit') process.exit(0);
    void runCase(req).then((result) => process.send?.(result));
  });
  // The parent gone (killed, Ctrl-C): no orphan keeps running cases.
  process.on('disconnect', () => process.exit(0));
  process.send('ready');
}
