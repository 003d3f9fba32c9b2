// onnxruntime-node peer (inference only): the benchmark MLP exported by `chainrule export --format
// onnx` (src/interop/onnx) with the shared weights as initializers, run by the native CPU
// execution provider.
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/interop/onnx/export.js';
import type { Mode } from '../workloads.js';
import { PeerUnavailableError, type PeerSession, type PeerSetup } from './peer.js';

async function createSession(model: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A missing native binding surfaces here (the install script is skipped by .npmrc).
    throw new PeerUnavailableError(`onnxruntime-node could not create a session: ${reason}`);
  }
}

export async function openOnnx(setup: PeerSetup, threads: number): Promise<PeerSession> {
  const { net, batch, data } = setup;
  const session = await createSession(exportOnnx(net.spec, setup.weights), threads);
  const feeds = { [net.inputName]: new ort.Tensor('float32', data.x, [batch, net.inputSize]) };

  const forward = async (): Promise<Float32Array> => {
    const result = await session.run(feeds);
    const probs = result[net.outputName]?.data;
    if (!(probs instanceof Float32Array)) throw new Error(`onnxruntime returned no float32 '${net.outputName}' output`);
    return probs;
  };
  const repeat = async (mode: Mode, n: number): Promise<void> => {
    if (mode === 'train') throw new Error('onnxruntime peer is inference only');
    for (let i = 0; i < n; i++) await forward();
  };

  return {
    trainStep: () => Promise.reject(new Error('onnxruntime peer is inference only')),
    forward: async () => Float32Array.from(await forward()),
    repeat,
    info: { onnxruntime: ort.env.versions.node ?? 'unknown', intraOpThreads: threads },
    dispose: () => session.release(),
  };
}
