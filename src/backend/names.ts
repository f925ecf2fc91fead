// The backends by name, without loading tfjs: what --backend accepts, and which of them train on a GPU.

export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = 'auto' | BackendName;

/** Backends that train on a GPU: runs share one badly, so `run` trains one at a time there by default. */
export const GPU_BACKENDS: readonly BackendName[] = ['tensorflow', 'webgpu'];
