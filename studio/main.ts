// chainrule studio, the page: wires the spec editor, the diagrams and equations, and the training
// worker together. All compiler work happens on the server (the same code as the CLI); all
// training happens in the worker, so the page stays responsive.
import './style.css';
import type {
  Analysis,
  DatasetPayload,
  ParamValues,
  StartInfo,
  StudioDiagnostic,
  TensorPath,
} from '../src/studio/protocol.js';
import * as api from './api.js';
import { type Bounds, boundsOf, drawHeatmap, drawLine, gridPoints } from './charts.js';
import { createDiagramBox, type DiagramBox } from './diagrams.js';
import { createEditor, type SpecEditor } from './editor.js';
import type { FromWorker, Progress, ToWorker, TrainSettings, WorkerDataset } from './messages.js';

const GRID = 64;

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el;
}
function input(id: string): HTMLInputElement {
  return $(id) as HTMLInputElement;
}
function select(id: string): HTMLSelectElement {
  return $(id) as HTMLSelectElement;
}
function canvas(id: string): HTMLCanvasElement {
  return $(id) as HTMLCanvasElement;
}

/** Everything the worker was started with; any difference means it must be started again. */
interface Loaded {
  readonly key: string;
  readonly name: string;
  readonly js: string;
  readonly ts: string;
}

interface Data {
  readonly name: string;
  readonly worker: WorkerDataset;
  readonly bounds?: Bounds;
}

const state = {
  start: undefined as StartInfo | undefined,
  analysis: undefined as Analysis | undefined,
  analysisSeq: 0,
  selected: undefined as string | undefined,
  worker: undefined as Worker | undefined,
  loaded: undefined as Loaded | undefined,
  data: undefined as Data | undefined,
  csv: undefined as DatasetPayload | undefined,
  losses: [] as number[],
  accuracies: [] as number[],
  grid: undefined as Float32Array | undefined,
  outputWidth: 1,
  running: false,
  requests: new Map<number, (message: FromWorker) => void>(),
  nextRequest: 1,
};

let editor: SpecEditor;
const boxes: Record<'forward' | 'backward' | 'joint', DiagramBox> = {
  forward: box('diagram-forward'),
  backward: box('diagram-backward'),
  joint: box('diagram-joint'),
};

function box(id: string): DiagramBox {
  return createDiagramBox($(id), {
    onNode: (name) => select_(name),
    onEdge: (edge, at) => {
      const tip = $('tooltip');
      if (edge === undefined) {
        tip.hidden = true;
        return;
      }
      tip.hidden = false;
      tip.innerHTML = '';
      const title = document.createElement('div');
      title.className = 'tip-title';
      title.textContent = `${edge.from} → ${edge.to}`;
      tip.append(title, row('shape', edge.shape));
      if (edge.factor !== '') tip.append(row('local derivative', edge.factor));
      tip.append(row('kind', edge.kind));
      tip.style.left = `${at.x + 14}px`;
      tip.style.top = `${at.y + 14}px`;
    },
  });
}

function row(name: string, value: string): HTMLElement {
  const div = document.createElement('div');
  const b = document.createElement('b');
  b.textContent = `${name}: `;
  div.append(b, value);
  return div;
}

// ---- edit -------------------------------------------------------------------------------------

async function check(text: string): Promise<readonly StudioDiagnostic[]> {
  const seq = ++state.analysisSeq;
  const analysis = await api.analyze(text, state.start?.file ?? 'spec.json');
  if (seq === state.analysisSeq) showAnalysis(analysis);
  return analysis.diagnostics;
}

function showAnalysis(analysis: Analysis): void {
  const panel = $('diagnostics');
  panel.innerHTML = '';
  panel.classList.toggle('ok', analysis.ok);
  if (analysis.ok) {
    const ok = document.createElement('div');
    ok.className = 'ok-line';
    ok.textContent = `✓ ${analysis.summary ?? 'ok'}`;
    panel.append(ok);
  }
  for (const d of analysis.diagnostics) {
    const pre = document.createElement('pre');
    pre.className = `diag ${d.severity}`;
    pre.textContent = d.text;
    if (d.line !== undefined) pre.addEventListener('click', () => editor.reveal(d.line ?? 1, d.col ?? 1));
    panel.append(pre);
  }
  $('summary').textContent = analysis.ok ? (analysis.name ?? '') : 'spec has errors';
  $('diagrams').classList.toggle('stale', !analysis.ok);
  if (!analysis.ok) return;
  state.analysis = analysis;
  const why = analysis.note ?? 'no diagram';
  boxes.forward.show(analysis.forward, why);
  boxes.backward.show(analysis.backward, why);
  boxes.joint.show(analysis.joint, why);
  for (const view of ['forward', 'backward', 'joint'] as const) {
    ($(`download-${view}`) as HTMLButtonElement).disabled = analysis[view] === undefined;
  }
  const keep = state.selected !== undefined && analysis.paths?.[state.selected] !== undefined;
  select_(keep ? state.selected : undefined);
}

/** Saves one diagram's SVG (the buttons are disabled until there is one). */
function saveSvg(view: 'forward' | 'backward' | 'joint'): void {
  const svg = boxes[view].svgText();
  if (svg === undefined) return;
  saveBlob(new Blob([svg], { type: 'image/svg+xml' }), `${state.analysis?.name ?? 'model'}.${view}.svg`);
}

// ---- see --------------------------------------------------------------------------------------

/** Selects a tensor (or its gradient node): highlights its path everywhere and shows its equation. */
function select_(name: string | undefined): void {
  const path: TensorPath | undefined = name === undefined ? undefined : state.analysis?.paths?.[name];
  state.selected = path === undefined ? undefined : name;
  const nodes = new Set(path?.nodes ?? []);
  for (const b of Object.values(boxes)) b.highlight(nodes);
  const selected = $('selected');
  selected.innerHTML = '';
  if (path === undefined) {
    const hint = document.createElement('div');
    hint.className = 'muted';
    hint.textContent = state.analysis?.paths
      ? 'Click a parameter (e.g. fc1.weight) or a gradient node to see its chain-rule path and equation.'
      : (state.analysis?.note ?? '');
    selected.append(hint);
  } else {
    const eq = document.createElement('div');
    eq.className = 'equation';
    eq.textContent = path.equation || `∂L/∂${path.tensor}`;
    const chain = document.createElement('div');
    chain.className = 'chain';
    chain.append(factor('∂L/∂L = 1', 'seed'));
    for (const step of path.chain) chain.append(arrow(), factor(step.factor, step.node));
    selected.append(eq, chain);
  }
  const text = $('equation-text');
  text.innerHTML = '';
  for (const line of (state.analysis?.equations ?? '').split('\n')) {
    const div = document.createElement('div');
    div.textContent = line || ' ';
    if (path !== undefined && path.equation !== '' && line.trim() === path.equation) div.className = 'current';
    text.append(div);
  }
}

function factor(text: string, title: string): HTMLElement {
  const span = document.createElement('span');
  span.className = 'factor';
  span.textContent = text;
  span.title = title;
  return span;
}
function arrow(): HTMLElement {
  const span = document.createElement('span');
  span.className = 'arrow';
  span.textContent = '→';
  return span;
}

/** Step mode's marks, kept so a view shown later is marked too (hidden SVG has no geometry). */
let lastMarks: ReadonlyMap<string, { readonly label: string; readonly weight: number }> = new Map();
function showMarks(marks: ReadonlyMap<string, { readonly label: string; readonly weight: number }>): void {
  lastMarks = marks;
  for (const b of Object.values(boxes)) b.annotate(marks);
}

function setView(view: string): void {
  $('diagrams').className = `diagrams ${view}`;
  showMarks(lastMarks);
  for (const tab of Array.from(document.querySelectorAll<HTMLElement>('.tab'))) {
    tab.classList.toggle('active', tab.dataset['view'] === view);
  }
}

// ---- train ------------------------------------------------------------------------------------

function settings(): TrainSettings {
  const batchSize = Math.max(1, Math.round(Number(input('batch').value) || 32));
  const epochs = Math.max(1, Math.round(Number(input('epochs').value) || 100));
  return { batchSize, epochs, seed: 1 };
}

function overrides(): { optimizer: 'sgd' | 'adam'; lr: number } {
  const lr = Number(input('lr').value);
  return { optimizer: select('optimizer').value === 'sgd' ? 'sgd' : 'adam', lr: lr > 0 ? lr : 0.01 };
}

function status(text: string, error = false): void {
  const el = $('train-status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

async function loadData(name: string): Promise<Data> {
  if (state.data?.name === name) return state.data;
  const payload = name === 'csv' && state.csv !== undefined ? state.csv : await api.dataset(name);
  const worker: WorkerDataset = {
    features: Float32Array.from(payload.features),
    labels: Int32Array.from(payload.labels),
    numRows: payload.numRows,
    numFeatures: payload.numFeatures,
    numClasses: payload.numClasses,
  };
  const data: Data = payload.numFeatures === 2 ? { name, worker, bounds: boundsOf(worker.features) } : { name, worker };
  state.data = data;
  return data;
}

/** Compiles the spec and starts a worker on it, unless the one running already has this spec, data and optimizer. */
async function prepare(): Promise<boolean> {
  const text = editor.text();
  const train = overrides();
  const datasetName = select('dataset').value;
  const key = JSON.stringify({ text, train, datasetName });
  if (state.loaded?.key === key && state.worker !== undefined) return true;
  status('compiling…');
  showProgress({ epoch: 0, loss: Number.NaN, accuracy: 0 });
  clearStep();
  const compiled = await api.compileModule({ text, train });
  if (!compiled.ok) {
    status(`the spec does not compile: ${compiled.diagnostics[0]?.text ?? 'see the diagnostics'}`, true);
    return false;
  }
  const data = await loadData(datasetName);
  state.worker?.terminate();
  const worker = new Worker('/worker.js', { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => onWorker(event.data);
  worker.onerror = (event) => status(`the training worker failed: ${event.message}`, true);
  state.worker = worker;
  state.loaded = { key, name: compiled.name, js: compiled.js, ts: compiled.ts };
  state.losses = [];
  state.accuracies = [];
  state.grid = undefined;
  const grid = data.bounds === undefined ? new Float32Array(0) : gridPoints(data.bounds, GRID);
  send({ type: 'init', js: compiled.js, dataset: data.worker, settings: settings(), grid });
  status(`${compiled.name} on ${datasetName}: ${data.worker.numRows} rows`);
  return true;
}

function send(message: ToWorker): void {
  state.worker?.postMessage(message);
}

function request(type: 'predict' | 'params'): Promise<FromWorker> {
  const id = state.nextRequest++;
  return new Promise((resolve) => {
    state.requests.set(id, resolve);
    send({ type, id });
  });
}

function onWorker(message: FromWorker): void {
  switch (message.type) {
    case 'ready':
      state.outputWidth = message.outputWidth;
      return;
    case 'progress':
      showProgress(message.progress);
      setRunning(message.running);
      return;
    case 'grid':
      state.grid = message.values;
      scheduleDraw();
      return;
    case 'step':
      showStep(message);
      return;
    case 'done':
      setRunning(false);
      status(`done: ${$('epoch').textContent} epochs`);
      return;
    case 'predictions':
    case 'params':
      state.requests.get(message.id)?.(message);
      state.requests.delete(message.id);
      return;
    case 'error':
      setRunning(false);
      status(message.message, true);
      return;
    default:
      message satisfies never;
  }
}

/** The metrics as plain numbers (tests read them), and one point per epoch on the curves. */
function showProgress(p: Progress): void {
  $('epoch').textContent = String(p.epoch);
  $('loss').textContent = Number.isFinite(p.loss) ? p.loss.toFixed(4) : '0';
  $('accuracy').textContent = (p.accuracy * 100).toFixed(1);
  state.losses.length = p.epoch;
  state.accuracies.length = p.epoch;
  if (p.epoch > 0) {
    state.losses[p.epoch - 1] = p.loss;
    state.accuracies[p.epoch - 1] = p.accuracy;
  }
  scheduleDraw();
}

/** Pauses the worker (a new spec or dataset is coming; its figures would describe the old one). */
function stopTraining(): void {
  if (!state.running) return;
  send({ type: 'pause' });
  setRunning(false);
}

function setRunning(running: boolean): void {
  state.running = running;
  document.body.classList.toggle('running', running);
  ($('train') as HTMLButtonElement).textContent = running ? '▶ Training…' : '▶ Train';
  ($('pause') as HTMLButtonElement).disabled = !running;
}

let drawQueued = false;
function scheduleDraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    drawLine(canvas('loss-chart'), { label: 'loss', color: '#c62828', values: state.losses }, (v) => v.toFixed(3));
    drawLine(
      canvas('accuracy-chart'),
      { label: 'accuracy', color: '#1f6fb4', values: state.accuracies, range: [0, 1] },
      (v) => `${(v * 100).toFixed(0)}%`,
    );
    const data = state.data;
    const heat = canvas('heatmap');
    heat.hidden = data?.bounds === undefined;
    if (data?.bounds !== undefined) {
      const binary = state.outputWidth <= 2;
      drawHeatmap(heat, state.grid, GRID, data.bounds, data.worker.features, data.worker.labels, binary);
    }
  });
}

/**
 * Step mode: the batch's figures from the worker at once (loss, each parameter's gradient RMS),
 * then every tensor of the batch from the server's interpreter — forward values (mean) on the
 * forward nodes, gradient RMS on the gradient nodes, backward edges as wide as their gradient.
 */
function showStep(step: Extract<FromWorker, { type: 'step' }>): void {
  const marks = new Map<string, { label: string; weight: number }>();
  const largest = Math.max(1e-12, ...Object.values(step.gradients));
  for (const [name, g] of Object.entries(step.gradients)) {
    marks.set(`d(${name})`, { label: `rms ${g.toExponential(1)}`, weight: g / largest });
  }
  for (const [name, v] of Object.entries(step.outputs)) marks.set(name, { label: `μ ${v.toFixed(3)}`, weight: 0 });
  showMarks(marks);
  const info = $('step-info');
  info.innerHTML = '';
  const head = document.createElement('div');
  head.className = 'tip-title';
  head.textContent = `one batch of ${step.rows} rows: loss ${step.loss.toFixed(4)}`;
  info.append(head);
  for (const [name, g] of Object.entries(step.gradients)) info.append(row(`rms ∂L/∂${name}`, g.toExponential(2)));
  for (const [name, v] of Object.entries(step.outputs)) info.append(row(`mean ${name}`, v.toFixed(4)));
  const toNumbers = (r: Readonly<Record<string, ArrayLike<number>>>): Record<string, number[]> =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v)]));
  const request = {
    text: editor.text(),
    train: overrides(),
    params: toNumbers(step.params),
    feeds: toNumbers(step.feeds),
  };
  void api
    .trace(request)
    .then((traced) => {
      if (!traced.ok) return;
      const kinds = state.analysis?.joint?.kinds ?? {};
      const gradient = (name: string): boolean => ['grad', 'sum', 'seed'].includes(kinds[name] ?? '');
      const top = Math.max(
        1e-12,
        ...Object.entries(traced.tensors)
          .filter(([name]) => gradient(name) && kinds[name] !== 'seed')
          .map(([, t]) => t.rms),
      );
      const all = new Map<string, { label: string; weight: number }>();
      for (const [name, t] of Object.entries(traced.tensors)) {
        if (kinds[name] === 'seed' || kinds[name] === undefined) continue;
        all.set(
          name,
          gradient(name)
            ? { label: `rms ${t.rms.toExponential(1)}`, weight: Math.min(1, t.rms / top) }
            : { label: `μ ${formatValue(t.mean)}`, weight: 0 },
        );
      }
      showMarks(all);
    })
    .catch(() => {
      // The worker's own figures are already shown; the full trace is a bonus.
    });
}

function formatValue(v: number): string {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1);
}

async function onTrain(): Promise<void> {
  // Running already on this spec and data: nothing to do; on other ones, prepare() starts afresh.
  if (state.running && state.loaded?.key === currentKey()) return;
  if (!(await prepare())) return;
  send({ type: 'settings', settings: settings() });
  if (Number($('epoch').textContent) >= settings().epochs) onReset();
  send({ type: 'run' });
  setRunning(true);
}

async function onStep(): Promise<void> {
  if (state.running) return;
  if (!(await prepare())) return;
  send({ type: 'settings', settings: settings() });
  send({ type: 'step' });
}

function onReset(): void {
  state.losses = [];
  state.accuracies = [];
  clearStep();
  send({ type: 'reset' });
}

/** Removes step mode's gradient marks (they describe a batch of the model that is gone). */
function clearStep(): void {
  showMarks(new Map());
  $('step-info').innerHTML = '';
}

// ---- take it away -----------------------------------------------------------------------------

function saveBlob(blob: Blob, file: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = file;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function downloadModule(kind: 'js' | 'ts'): Promise<void> {
  if (state.loaded === undefined || state.loaded.key !== currentKey()) {
    if (!(await prepare())) return;
  }
  const loaded = state.loaded;
  if (loaded === undefined) return;
  const text = kind === 'js' ? loaded.js : loaded.ts;
  saveBlob(new Blob([text], { type: 'text/javascript' }), `${loaded.name}.${kind}`);
}

function currentKey(): string {
  return JSON.stringify({ text: editor.text(), train: overrides(), datasetName: select('dataset').value });
}

/** The model's current parameters from the worker, with their shapes from the spec. */
async function currentParams(): Promise<ParamValues[] | undefined> {
  const params = state.analysis?.params;
  if (state.loaded === undefined || params === undefined) {
    status('train (or step) once first: the weights come from the model in the page', true);
    return undefined;
  }
  const reply = await request('params');
  if (reply.type !== 'params') return undefined;
  const shapes = new Map(params.map((p) => [p.name, p.shape]));
  return Object.entries(reply.params).map(([name, data]) => ({
    name,
    shape: shapes.get(name) ?? [data.length],
    data: Array.from(data),
  }));
}

async function downloadWeights(): Promise<void> {
  const params = await currentParams();
  const name = state.loaded?.name;
  if (params === undefined || name === undefined) return;
  saveBlob(await api.weights({ model: name, epoch: Number($('epoch').textContent), params }), `${name}.safetensors`);
}

async function downloadOnnx(): Promise<void> {
  const params = await currentParams();
  const name = state.loaded?.name;
  if (params === undefined || name === undefined) return;
  saveBlob(await api.onnx({ text: editor.text(), params }), `${name}.onnx`);
}

// ---- CSV upload -------------------------------------------------------------------------------

/** A numeric CSV, the last column the class (any text); features standardized per column. */
function parseCsv(text: string, name: string): DatasetPayload {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(',').map((c) => c.trim()));
  const numeric = (r: string[]): boolean => r.slice(0, -1).every((c) => c !== '' && Number.isFinite(Number(c)));
  const body = rows.length > 0 && !numeric(rows[0]!) ? rows.slice(1) : rows;
  const width = body[0]?.length ?? 0;
  if (width < 2) throw new Error(`${name}: expected rows of numbers with the class in the last column`);
  body.forEach((r, i) => {
    if (r.length !== width || !numeric(r)) {
      throw new Error(`${name}: row ${i + 1} is not ${width - 1} numbers and a class: '${r.join(',')}'`);
    }
  });
  const classNames = [...new Set(body.map((r) => r[width - 1]!))].sort();
  const f = width - 1;
  const features = body.flatMap((r) => r.slice(0, f).map(Number));
  for (let c = 0; c < f; c++) {
    let mean = 0;
    for (let r = 0; r < body.length; r++) mean += features[r * f + c]!;
    mean /= body.length;
    let sq = 0;
    for (let r = 0; r < body.length; r++) sq += (features[r * f + c]! - mean) ** 2;
    const std = Math.sqrt(sq / body.length) || 1;
    for (let r = 0; r < body.length; r++) features[r * f + c] = (features[r * f + c]! - mean) / std;
  }
  return {
    name: 'csv',
    features,
    labels: body.map((r) => classNames.indexOf(r[width - 1]!)),
    numRows: body.length,
    numFeatures: f,
    numClasses: classNames.length,
    classNames,
  };
}

// ---- start ------------------------------------------------------------------------------------

function fillExamples(start: StartInfo): void {
  const nav = $('examples');
  for (const example of start.examples) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = example.name;
    button.addEventListener('click', () => {
      stopTraining();
      void api.exampleText(example.name).then((text) => {
        $('file-name').textContent = `${example.name}.json`;
        editor.setText(text);
        if (example.dataset !== undefined) select('dataset').value = example.dataset;
        matchLearningRate(text);
      });
    });
    nav.append(button);
  }
  const data = select('dataset');
  for (const name of start.datasets) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = name;
    data.append(option);
  }
}

/** Takes the optimizer and learning rate of the spec's `train` block as the page's defaults. */
function matchLearningRate(text: string): void {
  try {
    const spec = JSON.parse(text) as { train?: { optimizer?: string; lr?: number } };
    if (spec.train?.optimizer === 'sgd' || spec.train?.optimizer === 'adam')
      select('optimizer').value = spec.train.optimizer;
    if (typeof spec.train?.lr === 'number') input('lr').value = String(spec.train.lr);
  } catch {
    // Invalid JSON: the diagnostics say so; keep the current settings.
  }
}

async function main(): Promise<void> {
  const [start, schema] = await Promise.all([api.startInfo(), api.schema()]);
  state.start = start;
  fillExamples(start);
  $('file-name').textContent = start.file;
  const guess = start.examples.find((e) => `${e.name}.json` === start.file)?.dataset;
  if (guess !== undefined) select('dataset').value = guess;
  matchLearningRate(start.text);
  editor = createEditor($('editor'), start.text, schema, check);
  for (const tab of Array.from(document.querySelectorAll<HTMLElement>('.tab'))) {
    tab.addEventListener('click', () => setView(tab.dataset['view'] ?? 'split'));
  }
  $('train').addEventListener('click', () => void onTrain().catch((e: unknown) => status(String(e), true)));
  $('pause').addEventListener('click', () => send({ type: 'pause' }));
  $('step').addEventListener('click', () => void onStep().catch((e: unknown) => status(String(e), true)));
  $('reset').addEventListener('click', onReset);
  select('dataset').addEventListener('change', stopTraining);
  for (const id of ['batch', 'epochs'])
    input(id).addEventListener('change', () => send({ type: 'settings', settings: settings() }));
  $('download-module').addEventListener('click', () => void downloadModule('js'));
  $('download-ts').addEventListener('click', () => void downloadModule('ts'));
  $('download-weights').addEventListener(
    'click',
    () => void downloadWeights().catch((e: unknown) => status(String(e), true)),
  );
  $('download-onnx').addEventListener(
    'click',
    () => void downloadOnnx().catch((e: unknown) => status(String(e), true)),
  );
  for (const view of ['forward', 'backward', 'joint'] as const) {
    $(`download-${view}`).addEventListener('click', () => saveSvg(view));
  }
  input('csv').addEventListener('change', () => {
    const file = input('csv').files?.[0];
    if (file === undefined) return;
    void file.text().then((text) => {
      try {
        state.csv = parseCsv(text, file.name);
        if (state.data?.name === 'csv') state.data = undefined;
        const data = select('dataset');
        if (!Array.from(data.options).some((o) => o.value === 'csv')) data.append(new Option('csv (uploaded)', 'csv'));
        data.value = 'csv';
        status(
          `${file.name}: ${state.csv.numRows} rows, ${state.csv.numFeatures} features, ${state.csv.numClasses} classes`,
        );
      } catch (err) {
        status(err instanceof Error ? err.message : String(err), true);
      }
    });
  });
  setRunning(false);
  window.addEventListener('resize', scheduleDraw);
  scheduleDraw();
  // Test and console hook: the page's current predictions for every row of the dataset.
  Object.assign(window, {
    studio: {
      predictions: async (): Promise<number[]> => {
        const reply = await request('predict');
        return reply.type === 'predictions' ? Array.from(reply.classes) : [];
      },
      dataset: () => state.data?.name,
    },
  });
}

void main().catch((err: unknown) => {
  document.body.prepend(Object.assign(document.createElement('pre'), { className: 'fatal', textContent: String(err) }));
});
