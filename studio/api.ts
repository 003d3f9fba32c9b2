// The studio server's JSON API, typed by src/studio/protocol.ts.
import type {
  Analysis,
  DatasetPayload,
  ModuleRequest,
  ModuleResponse,
  OnnxRequest,
  StartInfo,
  TraceRequest,
  TraceResponse,
  WeightsRequest,
} from '../src/studio/protocol.js';

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `${response.url}: HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export async function startInfo(): Promise<StartInfo> {
  return json<StartInfo>(await fetch('/api/start'));
}

export async function exampleText(name: string): Promise<string> {
  const response = await fetch(`/api/example/${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`cannot load example '${name}'`);
  return response.text();
}

export async function schema(): Promise<unknown> {
  return json<unknown>(await fetch('/schema.json'));
}

export async function analyze(text: string, file: string): Promise<Analysis> {
  return json<Analysis>(await post('/api/analyze', { text, file }));
}

export async function compileModule(request: ModuleRequest): Promise<ModuleResponse> {
  return json<ModuleResponse>(await post('/api/module', request));
}

export async function dataset(name: string): Promise<DatasetPayload> {
  return json<DatasetPayload>(await fetch(`/api/dataset/${encodeURIComponent(name)}`));
}

async function bytes(path: string, body: unknown): Promise<Blob> {
  const response = await post(path, body);
  if (!response.ok) await json<never>(response);
  return response.blob();
}

export function weights(request: WeightsRequest): Promise<Blob> {
  return bytes('/api/weights', request);
}

export async function trace(request: TraceRequest): Promise<TraceResponse> {
  return json<TraceResponse>(await post('/api/trace', request));
}

export function onnx(request: OnnxRequest): Promise<Blob> {
  return bytes('/api/onnx', request);
}
