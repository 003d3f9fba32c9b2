// `chainrule compile SPEC --out DIR`: the generated module plus everything that explains it —
// diagrams, gradient equations, memory plan and IR dumps — written all at once or not at all.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError, Option } from 'commander';
import { explainGraph } from '../../../compiler/explain/equations.js';
import { specLabels } from '../../../compiler/frontend/labels.js';
import { printGraph } from '../../../compiler/ir/print.js';
import { printKernels } from '../../../compiler/ir/kernel-list.js';
import type { Graph } from '../../../compiler/ir/types.js';
import { optimizationPasses, trainingPasses, type Stage } from '../../../compiler/passes/pipeline.js';
import { memoryPlanText } from '../../../compiler/passes/plan-memory.js';
import {
  ChainruleError,
  compileInParallel,
  EMIT_FORMATS,
  type ArenaSize,
  type CompiledModel,
  type EmitFormat,
} from '../../api.js';
import { diagramFiles, kernelClusters, type SkippedDiagram } from '../../render/diagram-files.js';
import { locate } from '../../frontend/check.js';
import { formatCount } from '../format.js';
import {
  batchOption,
  dtypeOption,
  graphOptions,
  kernelMode,
  kernelsOption,
  loadSpecForCli,
  renderLoadReport,
} from '../spec-input.js';

/** Every stage a compile can have, in pipeline order; an IR dump is numbered by its place here. */
export function stageNames(): readonly string[] {
  return ['build', ...trainingPasses.map((p) => p.name), ...optimizationPasses.map((p) => p.name)];
}

/** `--dump-after` values besides the stage names: every stage, or the memory-planning stage. */
const DUMP_ALL = 'all';
const DUMP_PLAN = 'plan';

function parseDumpAfter(value: string): string {
  const valid = [DUMP_ALL, DUMP_PLAN, ...stageNames()];
  if (!valid.includes(value)) throw new InvalidArgumentError(`unknown pass '${value}'; valid: ${valid.join(', ')}.`);
  return value;
}

/** A failure the user can fix; printed as `error: …` + hint, exit 1, nothing written. */
class CompileFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface CompileFlags {
  readonly out: string;
  readonly dtype?: string;
  readonly batch?: number;
  readonly kernels?: string;
  readonly emit?: EmitFormat;
  readonly dumpAfter?: string;
  /** `-O <level>`: '0' turns every optimizing pass off. */
  readonly optimize?: string;
  readonly quiet?: boolean;
  /** `--no-<pass>` flags, keyed by commander's attribute name; false = off. */
  readonly [pass: string]: unknown;
}

/** Output file (relative to DIR, `/`-separated) → contents. */
export type OutputFiles = ReadonlyMap<string, string>;

const examples = `
Writes to DIR:
  <name>.ts              the standalone module: createModel, forward, lossAndGrads, trainStep, predict
  <name>.js, <name>.d.ts the same module as JavaScript with its types (import it from Node, browsers, bundlers)
                         (--emit ts|js|both chooses; default both)
  forward.dot/.svg       the forward graph; fused kernels drawn as clusters
  backward.dot/.svg      the backward (chain-rule) graph and optimizer updates (specs with a loss)
  gradients.txt          the gradient equations (as \`chainrule explain\`)
  kernels.txt            the kernels one call runs, in order, with what each fuses
  memory-plan.txt        every buffer's arena, offset, size and first/last use (one region per value with -O0)
  ir/final.txt           the IR the module is generated from
  ir/NN-<pass>.txt       with --dump-after: the IR after that pass (NN = its place in the pipeline)
Files of an earlier compile are replaced together (ir/ as a whole); other files in DIR are kept.
On any error nothing in DIR changes.

Passes: ${stageNames().join(', ')}

Examples:
  $ chainrule compile examples/mnist_mlp.json --out out/mnist
  $ chainrule compile examples/mnist_mlp.json --out out/mnist --dump-after all
  $ chainrule compile examples/iris_mlp.json --out out/iris --dtype f64 --batch 16 -O0
  $ chainrule compile examples/mnist_mlp.json --out out/mnist --kernels js   # TypeScript matmuls only (readable loops)
  $ diff -r out/a/ir out/b/ir      # after compiling once with and once without a --no-<pass> flag`;

export function compileCommand(): Command {
  const command = new Command('compile')
    .summary('Compile a spec to a standalone TypeScript module, with diagrams, gradient equations and IR dumps.')
    .description(
      'Compile a spec to a standalone TypeScript module (inference and training step), with diagrams, gradient equations, memory plan and IR dumps. Deterministic: the same spec gives the same bytes.',
    )
    .argument('<spec>', 'path to the spec (JSON)')
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .addOption(dtypeOption())
    .addOption(batchOption())
    .addOption(kernelsOption())
    .addOption(
      new Option('--emit <format>', 'module files: ts (<name>.ts), js (<name>.js + <name>.d.ts) or both')
        .choices(EMIT_FORMATS)
        .default('both'),
    )
    .addOption(
      new Option(
        '--dump-after <pass>',
        `write the IR after this pass to DIR/ir/ ('${DUMP_ALL}': after every pass; '${DUMP_PLAN}': after memory planning)`,
      ).argParser(parseDumpAfter),
    )
    .addOption(
      new Option('-O, --optimize <level>', 'optimization level: 0 skips every optimizing pass')
        .choices(['0', '1'])
        .default('1'),
    )
    .option('--quiet', 'print nothing on success');
  for (const pass of optimizationPasses)
    command.addOption(new Option(`--no-${pass.name}`, `skip the ${pass.name} pass`));
  return command.addHelpText('after', examples).action(async (path: string, flags: CompileFlags, self: Command) => {
    const started = performance.now();
    if (kernelMode(flags.kernels) === 'wasm-simd' && flags.dtype === 'f64') {
      self.error(
        'error: --kernels wasm-simd needs --dtype f32 (the WebAssembly matmuls are float32 only); drop --dtype f64 or use --kernels js',
      );
    }
    const run = compileForCli(path, flags, disabledPasses(flags, self));
    if (run === undefined) return;
    try {
      const notes: string[] = [];
      // The diagrams and dumps are made while a worker transpiles the module to JavaScript.
      const others = await sideFiles(run.compiled, flags.dumpAfter, (skipped) => notes.push(skipped.message));
      const compiled = await run.complete;
      const files = new Map([...moduleFiles(compiled), ...others]);
      writeOutputAtomic(flags.out, files);
      if (flags.quiet !== true)
        process.stdout.write(summary(compiled, flags.out, files, (performance.now() - started) / 1000, notes));
    } catch (err) {
      if (!(err instanceof CompileFailure)) throw err;
      process.stderr.write(`error: ${err.message}${err.hint !== undefined ? `\n  hint: ${err.hint}` : ''}\n`);
      process.exitCode = 1;
    }
  });
}

/** The optimizing passes the flags turn off (`--no-<pass>`), by pipeline name. */
export function disabledPasses(flags: CompileFlags, command: Command): string[] {
  return optimizationPasses
    .filter((p) => {
      const option = command.options.find((o) => o.long === `--no-${p.name}`);
      return option !== undefined && flags[option.attributeName()] === false;
    })
    .map((p) => p.name);
}

/** Loads and compiles the spec; prints located diagnostics (exit 1) and returns undefined on failure. */
function compileForCli(
  path: string,
  flags: CompileFlags,
  disable: readonly string[],
): ReturnType<typeof compileInParallel> | undefined {
  const options = graphOptions(flags);
  const loaded = loadSpecForCli(path, options);
  if (loaded === undefined) return undefined;
  try {
    return compileInParallel(loaded, {
      ...options,
      optimize: flags.optimize !== '0',
      disable,
      kernels: kernelMode(flags.kernels),
      emit: flags.emit ?? 'both',
    });
  } catch (err) {
    if (!(err instanceof ChainruleError)) throw err;
    process.stderr.write(
      renderLoadReport({ ok: false, errors: locate(err.diagnostics, loaded.locations), warnings: [] }, path),
    );
    process.exitCode = 1;
    return undefined;
  }
}

/** Everything compile writes, in memory, so nothing touches the disk until all of it succeeded. */
export async function outputFiles(
  compiled: CompiledModel,
  dumpAfter: string | undefined,
  onSkip?: (skipped: SkippedDiagram) => void,
): Promise<OutputFiles> {
  return new Map([...moduleFiles(compiled), ...(await sideFiles(compiled, dumpAfter, onSkip))]);
}

/** What compile writes besides the module: diagrams, gradients.txt, kernels.txt, the memory plan, IR dumps. */
async function sideFiles(
  compiled: CompiledModel,
  dumpAfter: string | undefined,
  onSkip?: (skipped: SkippedDiagram) => void,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  // The spec's labels (W⁽¹⁾) name tensors in the diagrams and gradients.txt, as in draw and explain.
  const names = specLabels(compiled.spec);
  const diagrams = await diagramFiles(compiled.graph, {
    kernels: kernelClusters(compiled.graph),
    names,
    ...(onSkip === undefined ? {} : { onSkip }),
  });
  for (const [name, text] of Object.entries(diagrams)) files.set(name, text);
  const joint = compiled.stages.find((s) => s.pass === 'add-optimizer');
  if (joint !== undefined) files.set('gradients.txt', explainGraph(joint.graph, names));
  files.set('kernels.txt', printKernels(compiled.graph));
  files.set('memory-plan.txt', memoryPlanText(compiled.graph));
  files.set('ir/final.txt', irText(compiled.graph));
  for (const stage of dumpedStages(compiled.stages, dumpAfter))
    files.set(`ir/${dumpName(stage.pass)}`, irText(stage.graph));
  return files;
}

/** The module files `compiled.emit` asks for: `<name>.ts`, and `<name>.js` with `<name>.d.ts`. */
function moduleFiles(compiled: CompiledModel): Map<string, string> {
  const files = new Map<string, string>();
  if (compiled.emit !== 'js') files.set(`${compiled.name}.ts`, compiled.source);
  if (compiled.js !== undefined) files.set(`${compiled.name}.js`, compiled.js);
  if (compiled.declarations !== undefined) files.set(`${compiled.name}.d.ts`, compiled.declarations);
  return files;
}

/** The IR, then the kernels (once fused) and the memory plan (once planned): each dump shows what its pass did. */
export function irText(graph: Graph): string {
  const kernels = graph.kernels === undefined ? '' : `\n# kernels, in execution order\n${printKernels(graph)}`;
  const memory = graph.memory === undefined ? '' : `\n# ${memoryPlanText(graph)}`;
  return `${printGraph(graph)}${kernels}${memory}`;
}

/** `03-simplify.txt`: numbered by the pass's place in the whole pipeline, so dumps line up across flags. */
export function dumpName(pass: string): string {
  const index = stageNames().indexOf(pass);
  return `${String(index < 0 ? 99 : index).padStart(2, '0')}-${pass}.txt`;
}

/** The stages `--dump-after` selects; a pass that did not run is an error that says why. */
export function dumpedStages(stages: readonly Stage[], dumpAfter: string | undefined): readonly Stage[] {
  if (dumpAfter === undefined) return [];
  if (dumpAfter === DUMP_ALL) return stages;
  if (dumpAfter === DUMP_PLAN) {
    // The planning stage is the first whose graph carries a memory plan (no pass name assumed).
    const planned = stages.find((s) => s.graph.memory !== undefined);
    if (planned === undefined)
      throw new CompileFailure(
        '--dump-after plan: no pass planned memory in this compile',
        'memory planning is an optimizing pass; drop -O0 and its --no-<pass> flag',
      );
    return [planned];
  }
  const stage = stages.find((s) => s.pass === dumpAfter);
  if (stage !== undefined) return [stage];
  const training = trainingPasses.some((p) => p.name === dumpAfter);
  throw new CompileFailure(
    `--dump-after ${dumpAfter}: that pass did not run in this compile`,
    training
      ? 'the training passes run only for specs with a loss'
      : `it is an optimizing pass; drop -O0 and --no-${dumpAfter}`,
  );
}

/**
 * Writes `files` into `dir` as one step: everything goes to a temp folder beside `dir` first,
 * then each top-level entry is renamed into place (the old one moved aside and restored if a
 * later rename fails). `ir/` is replaced as a whole, so no stale dump survives; other files in
 * `dir` are untouched. On failure `dir` is as before and the temp folder is gone.
 */
export function writeOutputAtomic(dir: string, files: OutputFiles): void {
  const target = resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new CompileFailure(`--out ${dir} is a file, not a folder`, 'pass a folder path (it is created if missing)');
  }
  const parent = dirname(target);
  let temp: string;
  try {
    mkdirSync(parent, { recursive: true });
    temp = mkdtempSync(join(parent, `.${basename(target)}.chainrule-`));
  } catch (err) {
    // The temp folder goes beside DIR (same file system, so the final renames are atomic).
    throw new CompileFailure(
      `cannot write next to ${dir}: ${describe(err)}`,
      'choose an --out folder whose parent folder you can write to',
    );
  }
  try {
    const staged = join(temp, 'new');
    for (const [name, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const path = join(staged, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    if (!existsSync(target)) {
      renameSync(staged, target);
      return;
    }
    swapIn(staged, target, join(temp, 'old'), topLevel(files));
  } catch (err) {
    if (err instanceof CompileFailure) throw err;
    throw new CompileFailure(
      `cannot write ${dir}: ${describe(err)}`,
      'check the folder is writable and the disk has space; nothing in it was changed',
    );
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Moves each entry from `staged` into `target`, keeping old ones in `backup` until all succeeded. */
function swapIn(staged: string, target: string, backup: string, entries: readonly string[]): void {
  mkdirSync(backup);
  const done: { entry: string; hadOld: boolean }[] = [];
  try {
    for (const entry of entries) {
      const hadOld = existsSync(join(target, entry));
      if (hadOld) renameSync(join(target, entry), join(backup, entry));
      done.push({ entry, hadOld });
      renameSync(join(staged, entry), join(target, entry));
    }
  } catch (err) {
    for (const { entry, hadOld } of done.reverse()) {
      rmSync(join(target, entry), { recursive: true, force: true });
      if (hadOld) renameSync(join(backup, entry), join(target, entry));
    }
    throw err;
  }
}

/** The top-level names of the output (`ir/final.txt` → `ir`), sorted. */
function topLevel(files: OutputFiles): string[] {
  return [...new Set([...files.keys()].map((f) => f.split('/')[0] ?? f))].sort();
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The success report: where the files went, what fusion and planning saved, how long it took. */
export function summary(
  compiled: CompiledModel,
  dir: string,
  files: OutputFiles,
  seconds: number,
  notes: readonly string[] = [],
): string {
  const { stats } = compiled;
  const per = compiled.spec.loss === undefined ? 'forward call' : 'training step';
  const batch = compiled.batch === undefined ? 'run-time batch' : `batch ${compiled.batch}`;
  const listed = [...files.keys()].filter((f) => !f.startsWith('ir/'));
  const dumps = files.size - listed.length;
  const lines = [
    `compiled ${compiled.name} (${compiled.dtype}, ${batch}) in ${seconds.toFixed(2)}s → ${dir}`,
    `  files: ${listed.join(', ')}, ir/ (${dumps} file${dumps === 1 ? '' : 's'})`,
    `  kernels per ${per}: ${stats.unfusedKernels} unfused → ${stats.kernels} fused`,
    `  kernels: ${matmulChoice(compiled)}`,
    `  arena: ${arenaText(stats.unplannedArena)} unplanned → ${arenaText(stats.arena)} planned`,
    ...notes.map((note) => `  note: ${note}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `auto → 2 matmuls wasm-simd, 1 TS`: what the kernel mode chose. */
export function matmulChoice(compiled: Pick<CompiledModel, 'kernels' | 'matmuls' | 'dtype'>): string {
  const { wasm, ts } = compiled.matmuls;
  const why = compiled.kernels === 'auto' && compiled.dtype === 'f64' ? ' (f64: the wasm matmuls are f32 only)' : '';
  return `${compiled.kernels} → ${wasm} matmul${wasm === 1 ? '' : 's'} wasm-simd, ${ts} TS${why}`;
}

function arenaText(size: ArenaSize): string {
  const fixed = `${formatCount(size.fixedBytes)} B`;
  return size.bytesPerRow === 0 ? fixed : `${fixed} + ${formatCount(size.bytesPerRow)} B/row`;
}
