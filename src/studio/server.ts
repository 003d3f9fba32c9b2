// The studio's HTTP server (node:http, no framework): the page, and a small JSON API that runs the
// same front end, pipeline, diagram and code generator as the CLI. Training never runs here: the
// page gets the compiled module as JavaScript and trains it in a Web Worker.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { transformSync } from 'esbuild';
import { ChainruleError } from '../../compiler/diagnostics.js';
import type { TrainSpec } from '../../compiler/frontend/graph-spec.js';
import { interpret } from '../../compiler/interp/interpret.js';
import { trainingGraph } from '../../compiler/passes/pipeline.js';
import { RuntimeError } from '../../runtime/errors.js';
import { encodeSafetensors, type NamedTensor } from '../../runtime/safetensors.js';
import { compile } from '../api.js';
import { exportOnnx } from '../interop/onnx/export.js';
import { packageFile } from '../package-file.js';
import { loadSpecText } from '../frontend/load.js';
import { analyzeSpec, studioDiagnostics } from './analyze.js';
import { refusal } from './guard.js';
import { datasetPayload, isStudioDataset, STUDIO_DATASETS, type StudioDataset } from './datasets.js';
import { studioPage } from './page.js';
import type {
  ExampleInfo,
  ModuleRequest,
  ModuleResponse,
  OnnxRequest,
  ParamValues,
  StartInfo,
  TensorSummary,
  TraceRequest,
  TraceResponse,
  TrainOverrides,
  WeightsRequest,
} from './protocol.js';

const ROOT = packageFile('');
const EXAMPLES = join(ROOT, 'examples');
const SCHEMA = join(ROOT, 'schema', 'chainrule.schema.json');
/** Request bodies larger than this are refused (a spec, or the weights of an MNIST-sized model). */
const MAX_BODY = 64 * 1024 * 1024;

export interface StudioOptions {
  /** The spec shown first: its path (read once, at start), or undefined for the spirals example. */
  readonly spec?: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
}

export interface Studio {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the server; resolves once it listens. */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const start = startInfo(options.spec);
  const server = createServer((req, res) => {
    const refused = refusal(req.headers, options.host);
    if (refused !== undefined) return fail(res, new HttpError(403, refused));
    route(req, res, start).catch((err: unknown) => fail(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The built-in dataset an example trains on: the one its name starts with (`xor_mlp` → xor). */
function exampleDataset(name: string): string | undefined {
  return STUDIO_DATASETS.find((d) => name.startsWith(`${d}_`));
}

function examples(): ExampleInfo[] {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.json'.length);
      const dataset = exampleDataset(name);
      return dataset === undefined ? { name } : { name, dataset };
    });
}

function startInfo(spec: string | undefined): StartInfo {
  const path = spec ?? join(EXAMPLES, 'spirals_mlp.json');
  // The CLI checked the file is readable before starting; this read cannot race a user edit that matters.
  return {
    file: basename(path),
    text: readFileSync(path, 'utf8').replace(/^\uFEFF/, ''),
    examples: examples(),
    datasets: [...STUDIO_DATASETS],
  };
}

async function route(req: IncomingMessage, res: ServerResponse, start: StartInfo): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://studio');
  const path = url.pathname;
  if (req.method === 'GET') {
    if (path === '/api/start') return sendJson(res, start);
    if (path === '/schema.json') return send(res, 200, 'application/json', readFileSync(SCHEMA));
    const example = /^\/api\/example\/([A-Za-z0-9_]+)$/.exec(path)?.[1];
    if (example !== undefined) {
      if (!examples().some((e) => e.name === example)) throw new HttpError(404, `no example '${example}'`);
      return send(res, 200, 'application/json', readFileSync(join(EXAMPLES, `${example}.json`)));
    }
    const dataset = /^\/api\/dataset\/([a-z0-9_]+)$/.exec(path)?.[1];
    if (dataset !== undefined) {
      if (!isStudioDataset(dataset)) throw new HttpError(404, `no dataset '${dataset}'`);
      return send(res, 200, 'application/json; charset=utf-8', datasetJson(dataset));
    }
    const page = await studioPage();
    const file = page.get(path === '/' ? '/index.html' : path);
    if (file === undefined) throw new HttpError(404, `no such page: ${path}`);
    return send(res, 200, file.type, file.body);
  }
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (path === '/api/analyze') {
      const { text, file } = withText(parseJson<{ text: string; file?: string }>(body));
      return sendJson(res, await analyzeSpec(text, typeof file === 'string' ? file : start.file));
    }
    if (path === '/api/module')
      return sendJson(res, compileModule(withText(parseJson<ModuleRequest>(body)), start.file));
    if (path === '/api/onnx') {
      return send(
        res,
        200,
        'application/octet-stream',
        Buffer.from(onnxFile(parseJson<OnnxRequest>(body), start.file)),
      );
    }
    if (path === '/api/trace') return sendJson(res, traceBatch(withText(parseJson<TraceRequest>(body)), start.file));
    if (path === '/api/weights') {
      return send(res, 200, 'application/octet-stream', Buffer.from(weightsFile(parseJson<WeightsRequest>(body))));
    }
  }
  throw new HttpError(404, `no route ${req.method ?? ''} ${path}`);
}

const datasetCache = new Map<StudioDataset, string>();

/** A dataset as JSON, built once per server (MNIST's subset takes a second or two to draw). */
function datasetJson(name: StudioDataset): string {
  let json = datasetCache.get(name);
  if (json === undefined) {
    json = JSON.stringify(datasetPayload(name));
    datasetCache.set(name, json);
  }
  return json;
}

/** Spec text → the generated module, as TypeScript and as JavaScript for the page's worker. */
export function compileModule(request: ModuleRequest, file: string): ModuleResponse {
  const loaded = loadSpecText(request.text, file, { dtype: 'f32' });
  if (!loaded.ok) return { ok: false, diagnostics: studioDiagnostics(loaded.errors, request.text) };
  const train = mergeTrain(loaded.spec.train, request.train);
  try {
    // `emit: 'both'`: the module as `compile --emit both` writes it, TypeScript and JavaScript.
    const compiled = compile(loaded, { emit: 'both', ...(train === undefined ? {} : { train }) });
    const js = compiled.js ?? transformSync(compiled.source, { loader: 'ts', format: 'esm', target: 'es2022' }).code;
    return { ok: true, name: compiled.name, ts: compiled.source, js };
  } catch (err) {
    if (err instanceof ChainruleError)
      return { ok: false, diagnostics: studioDiagnostics(err.diagnostics, request.text) };
    throw err;
  }
}

/**
 * The page's optimizer and learning rate over the spec's `train` block. The spec's other settings
 * (momentum, Adam's betas, the seed) stay when the optimizer is the spec's own; a different
 * optimizer starts from its defaults (the seed kept).
 */
export function mergeTrain(spec: TrainSpec | undefined, page: TrainOverrides | undefined): TrainSpec | undefined {
  if (page === undefined || (page.optimizer === undefined && page.lr === undefined)) return spec;
  const optimizer = page.optimizer ?? spec?.optimizer ?? 'sgd';
  const lr = page.lr ?? spec?.lr ?? 0.01;
  if (spec !== undefined && spec.optimizer === optimizer) return { ...spec, lr };
  const seed = spec?.seed === undefined ? {} : { seed: spec.seed };
  if (optimizer === 'adam') return { optimizer, lr, ...seed };
  return { optimizer, lr, ...(page.momentum === undefined ? {} : { momentum: page.momentum }), ...seed };
}

/**
 * Step mode's view of one batch: the joint graph run once by the reference interpreter with the
 * page's parameters and batch, summarized per node (every forward value and every gradient), keyed
 * by the node names the diagrams use. Inspection only: the page trains in its worker.
 */
export function traceBatch(request: TraceRequest, file: string): TraceResponse {
  const loaded = loadSpecText(request.text, file, { dtype: 'f32' });
  if (!loaded.ok) return { ok: false, message: 'the spec has errors' };
  const train = mergeTrain(loaded.spec.train, request.train);
  const joint = trainingGraph(loaded, train === undefined ? {} : { train });
  if (!joint.ok) return { ok: false, message: joint.errors[0]?.message ?? 'the spec has no backward graph' };
  try {
    const run = interpret(joint.graph, { feeds: request.feeds, params: request.params });
    const tensors: Record<string, TensorSummary> = {};
    for (const node of joint.graph.nodes) {
      const value = run.values.get(node.id);
      if (value !== undefined && node.role !== 'update') tensors[node.name] = summarize(value.data);
    }
    return { ok: true, loss: run.loss ?? Number.NaN, tensors };
  } catch (err) {
    if (err instanceof ChainruleError) return { ok: false, message: err.message };
    throw err;
  }
}

function summarize(data: ArrayLike<number>): TensorSummary {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < data.length; i++) {
    sum += data[i]!;
    squares += data[i]! * data[i]!;
  }
  const n = Math.max(1, data.length);
  return { mean: sum / n, rms: Math.sqrt(squares / n) };
}

/** The spec's inference graph as ONNX with the page's parameters (what `chainrule export --format onnx` writes). */
export function onnxFile(request: OnnxRequest, file: string): Uint8Array {
  const loaded = loadSpecText(request.text, file, { dtype: 'f32' });
  if (!loaded.ok)
    throw new HttpError(400, `the spec has errors: ${studioDiagnostics(loaded.errors, request.text)[0]?.text}`);
  return exportOnnx(loaded.spec, Object.fromEntries(checkedParams(request.params).map((p) => [p.name, p.data])));
}

/** Each parameter's values as float32, after checking their count against the shape. */
function checkedParams(
  params: readonly ParamValues[],
): { name: string; shape: readonly number[]; data: Float32Array }[] {
  return params.map((p) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (p.data.length !== size) {
      throw new HttpError(400, `parameter '${p.name}' has ${p.data.length} values but its shape needs ${size}`);
    }
    return { name: p.name, shape: p.shape, data: Float32Array.from(p.data) };
  });
}

/** Trained parameters → safetensors bytes, in the layout `chainrule train` writes (float32). */
export function weightsFile(request: WeightsRequest): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  for (const p of checkedParams(request.params)) tensors[p.name] = { data: p.data, shape: p.shape };
  return encodeSafetensors(tensors, {
    format: 'chainrule',
    model: request.model,
    dtype: 'f32',
    epoch: String(request.epoch),
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson<T>(body: string): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
}

/** The page always sends the spec as `text`; anything else is a client bug, refused with 400. */
function withText<T extends { readonly text: unknown }>(request: T): T & { readonly text: string } {
  if (typeof request !== 'object' || request === null || typeof request.text !== 'string') {
    throw new HttpError(400, 'the request needs the spec as a string field "text"');
  }
  return request as T & { readonly text: string };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

function fail(res: ServerResponse, err: unknown): void {
  // A RuntimeError is the user's data or setup (e.g. the optional mnist package missing): say it, with its hint.
  const status = err instanceof HttpError ? err.status : err instanceof RuntimeError ? 422 : 500;
  const message =
    err instanceof RuntimeError
      ? `${err.message}${err.hint === undefined ? '' : ` (${err.hint})`}`
      : err instanceof Error
        ? err.message
        : String(err);
  if (status === 500) process.stderr.write(`studio: internal error: ${err instanceof Error ? err.stack : message}\n`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
}
