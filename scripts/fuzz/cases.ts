// Case construction shared by the parent (labels and time limits, also of cases whose worker
// died) and the worker: every case is rebuilt from (set, index, seed) alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvCase } from './csv.js';
import { moduleCase } from './module-calls.js';
import { onnxCase } from './onnx.js';
import { specCase } from './specs.js';
import type { CaseRef } from './types.js';
import { type WeightBase, weightsCase } from './weights.js';

export interface WorkerRequest extends CaseRef {
  readonly seed: number;
  /** Folder with the base weights (`xor/`, `iris/`) written by the parent. */
  readonly dir: string;
  /** Compare one accepted spec in this many with the interpreter (default: every one). */
  readonly parityEvery?: number;
}

const baseCache = new Map<string, Uint8Array>();

/** The real weights files a weights case starts from (`DIR/xor/weights.safetensors`, …). */
export function baseWeights(dir: string): (base: WeightBase, file: string) => Uint8Array {
  return (base, file) => {
    const key = `${dir}/${base}/${file}`;
    let b = baseCache.get(key);
    if (b === undefined) {
      b = new Uint8Array(readFileSync(join(dir, base, file)));
      baseCache.set(key, b);
    }
    return b;
  };
}

/** The case's label and its own time limit, if it has one (the size cases). */
export function describeCase(req: WorkerRequest): { label: string; timeoutMs?: number } {
  switch (req.set) {
    case 'spec': {
      const c = specCase(req.seed, req.index);
      return { label: c.label, ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}) };
    }
    case 'csv': {
      const c = csvCase(req.seed, req.index);
      return { label: c.label, ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}) };
    }
    case 'weights':
      return { label: weightsCase(req.seed, req.index, baseWeights(req.dir)).label };
    case 'module':
      return { label: moduleCase(req.seed, req.index).label };
    case 'onnx':
      return { label: onnxCase(req.seed, req.index).label };
  }
}
