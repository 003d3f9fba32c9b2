// A typed view of the few WebAssembly JS API members the wasm kernel tests use (test-only: the
// generated modules declare their own). The project's `lib` (es2023, no DOM) declares no
// WebAssembly types, so this states the subset once instead of casting at each use.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` of 64 KiB; returns the previous size in pages. Detaches old views. */
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** Opaque compiled module. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (
    module: WasmModule,
    imports: { readonly env: { readonly memory: WasmMemory } },
  ) => WasmInstance;
  readonly Memory: new (descriptor: { readonly initial: number; readonly maximum?: number }) => WasmMemory;
}

export const wasm: WasmApi = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** A kernel export: every parameter is an i32 (pointers in bytes, dims in elements). */
export type WasmKernel = (...args: number[]) => void;

/** Instantiates `bytes` (synchronously) against `memory` and returns its exported kernels by name. */
export function instantiateKernels(bytes: Uint8Array, memory: WasmMemory): Readonly<Record<string, WasmKernel>> {
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
  return instance.exports as Readonly<Record<string, WasmKernel>>;
}
