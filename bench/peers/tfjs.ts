// TensorFlow.js peers, the model written the way tfjs-layers runs a Dense stack: `tf.fused.matMul`
// with bias and activation, `tf.losses.softmaxCrossEntropy` on the logits, and `optimizer.minimize`
// with `tf.train.sgd`. Every intermediate tensor is disposed, so memory stays flat (the harness
// checks `tf.memory().numTensors`).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { weightOf } from '../data.js';
import type { Mode } from '../workloads.js';
import { PeerUnavailableError, type PeerSession, type PeerSetup } from './peer.js';

export type TfjsBackend = 'cpu' | 'wasm';

/** Points the wasm backend at the .wasm files in node_modules, so it never fetches over the network. */
function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))}/`;
}

/**
 * Asks for the threaded-SIMD wasm build with `threads` threads. tfjs-backend-wasm 4.22 reports no
 * multithread support under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is false when IS_NODE,
 * tfjs issue #3830); forcing the flag on fails at start-up, because the threaded build starts its
 * workers from `blob:` URLs and node:worker_threads refuses them (ERR_WORKER_PATH). Browsers get it
 * with cross-origin isolation (SharedArrayBuffer).
 */
async function requestThreads(threads: number): Promise<void> {
  if (!(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))) {
    const where = tf.env().get('IS_NODE')
      ? ' under Node (tfjs disables it there: tfjs issue #3830; forced on, its blob: workers fail with ERR_WORKER_PATH)'
      : ' here (needs SharedArrayBuffer: cross-origin isolation)';
    throw new PeerUnavailableError(`tfjs-backend-wasm ${tf.version.tfjs} has no threaded build${where}`);
  }
  setThreadsCount(threads);
}

async function selectBackend(backend: TfjsBackend, threads: number): Promise<Record<string, string | number>> {
  if (backend === 'wasm') setWasmPaths(wasmDirectory());
  if (threads > 1) {
    if (backend !== 'wasm') throw new PeerUnavailableError(`tfjs backend '${backend}' has no threads`);
    await requestThreads(threads);
  }
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) {
    throw new PeerUnavailableError(`tfjs backend '${backend}' failed to initialize (active: ${tf.getBackend()})`);
  }
  const info: Record<string, string | number> = { tfjs: tf.version.tfjs, backend };
  if (backend === 'wasm') {
    info.simd = String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? getThreadsCount() : 1;
  }
  return info;
}

export async function openTfjs(setup: PeerSetup, backend: TfjsBackend, threads = 1): Promise<PeerSession> {
  const info = await selectBackend(backend, threads);
  const { net, batch, data } = setup;
  const layers = net.layers.map((l) => ({
    activation: l.activation === 'relu' ? ('relu' as const) : ('linear' as const),
    w: tf.variable(
      tf.tensor2d(weightOf(setup.weights, `${l.name}.weight`), [l.inputs, l.units]),
      true,
      `${l.name}.weight`,
    ),
    b: tf.variable(tf.tensor1d(weightOf(setup.weights, `${l.name}.bias`)), true, `${l.name}.bias`),
  }));
  const variables = layers.flatMap((l) => [l.w, l.b]);
  const x = tf.tensor2d(data.x, [batch, net.inputSize]);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y, 'int32'), net.classes).toFloat());
  const optimizer = tf.train.sgd(net.lr);

  const logits = (): tf.Tensor => {
    let h: tf.Tensor = x;
    for (const l of layers) h = tf.fused.matMul({ a: h, b: l.w, bias: l.b, activation: l.activation });
    return h;
  };
  const lossOf = (): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, logits());

  const trainStep = (): number => {
    const cost = optimizer.minimize(lossOf, true, variables);
    if (!cost) throw new Error('tfjs optimizer.minimize returned no cost');
    const value = cost.dataSync()[0] ?? NaN;
    cost.dispose();
    return value;
  };
  const forward = (): Float32Array => {
    const probs = tf.tidy(() => tf.softmax(logits()));
    const out = probs.dataSync();
    probs.dispose();
    if (!(out instanceof Float32Array)) throw new Error('tfjs returned non-float32 probabilities');
    return out;
  };
  const repeat = (mode: Mode, n: number): void => {
    if (mode === 'train') for (let i = 0; i < n; i++) trainStep();
    else for (let i = 0; i < n; i++) forward();
  };

  return {
    trainStep: async () => trainStep(),
    forward: async () => Float32Array.from(forward()),
    repeat: async (mode, n) => repeat(mode, n),
    liveObjects: () => tf.memory().numTensors,
    info,
    dispose: async () => {
      optimizer.dispose();
      tf.dispose([x, labels, ...variables]);
    },
  };
}
