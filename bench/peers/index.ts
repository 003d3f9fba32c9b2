// The peers, in table order. The first peer that passes validation is the reference every other
// peer's loss and outputs are compared with, and chainrule is the subject of the ratio columns.
import type { PeerDef, PeerId } from './peer.js';

/** onnxruntime gets one intra-op thread, like every other peer here (all single-threaded). */
export const ONNX_THREADS = 1;

export const peers: readonly PeerDef[] = [
  {
    id: 'chainrule',
    label: 'chainrule (generated TS)',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup),
  },
  {
    // The same spec compiled with `kernels: 'wasm-simd'`: matmuls as embedded WebAssembly SIMD.
    id: 'chainrule-wasm',
    label: 'chainrule (wasm-simd)',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup),
  },
  {
    // The same wasm-simd module on 2 threads (createModelAsync({ threads: 2 })): a peer with a thread count.
    id: 'chainrule-wasm-2t',
    label: 'chainrule (wasm-simd, 2 threads)',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup, 2),
  },
  {
    id: 'js-reference',
    label: 'hand-written JS',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./js-reference.js')).openJsReference(setup),
  },
  {
    id: 'tfjs-cpu',
    label: 'tfjs cpu',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./tfjs.js')).openTfjs(setup, 'cpu'),
  },
  {
    id: 'tfjs-wasm',
    label: 'tfjs wasm (SIMD)',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./tfjs.js')).openTfjs(setup, 'wasm'),
  },
  {
    id: 'onnxruntime',
    label: 'onnxruntime-node',
    modes: ['forward'],
    open: async (setup) => (await import('./onnx.js')).openOnnx(setup, ONNX_THREADS),
  },
];

export function findPeer(id: string): PeerDef {
  const found = peers.find((p) => p.id === id);
  if (!found) throw new Error(`unknown peer '${id}'; expected one of: ${peers.map((p) => p.id).join(', ')}`);
  return found;
}

export function isPeerId(id: string): id is PeerId {
  return peers.some((p) => p.id === id);
}
