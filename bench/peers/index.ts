// The peers, in table order. The first peer that passes validation is the reference every other
// peer's loss and outputs are compared with, and chainrule (the default compile) is the subject
// of the ratio columns. Peers run single-threaded unless their label names a thread count
// (onnxruntime's intra-op threads; tfjs-wasm's threaded build).
import type { PeerDef, PeerId } from './peer.js';

export const peers: readonly PeerDef[] = [
  {
    // What `chainrule compile` gives without flags: `kernels: 'auto'` (wasm or TS per matmul).
    id: 'chainrule',
    label: 'chainrule (default: auto kernels)',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup),
  },
  {
    // The default module created with `createModelAsync({ threads: 2 })` (issue 16): the threads target rows.
    id: 'chainrule-2t',
    label: 'chainrule (default), 2 threads',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup, 2),
  },
  {
    // `kernels: 'js'`: every matmul as TypeScript loops.
    id: 'chainrule-js',
    label: 'chainrule (--kernels js)',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup),
  },
  {
    // The same TS-kernel module on 2 threads: row functions split among the workers.
    id: 'chainrule-js-2t',
    label: 'chainrule (--kernels js), 2 threads',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./chainrule.js')).openChainrule(setup, 2),
  },
  {
    // The same spec compiled with `kernels: 'wasm-simd'`: matmuls as embedded WebAssembly SIMD.
    id: 'chainrule-wasm',
    label: 'chainrule (--kernels wasm-simd)',
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
    // The threaded-SIMD build with 2 threads, where the platform allows it (see tfjs.ts).
    id: 'tfjs-wasm-2t',
    label: 'tfjs wasm (SIMD), 2 threads',
    modes: ['train', 'forward'],
    open: async (setup) => (await import('./tfjs.js')).openTfjs(setup, 'wasm', 2),
  },
  {
    id: 'onnxruntime',
    label: 'onnxruntime-node, 1 thread',
    modes: ['forward'],
    open: async (setup) => (await import('./onnx.js')).openOnnx(setup, 1),
  },
  {
    id: 'onnxruntime-2t',
    label: 'onnxruntime-node, 2 threads',
    modes: ['forward'],
    open: async (setup) => (await import('./onnx.js')).openOnnx(setup, 2),
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
