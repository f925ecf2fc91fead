// The private parts of tfjs 4.22 that ln-repro uses, all in this file: fields and undocumented behaviour of
// tfjs-core's engine, of the cpu, wasm and webgpu backends, and of stock wasm kernels, each behind a narrow typed
// view, and the check that the installed packages are the versions these were written for. Moving to another tfjs
// version means checking each access below against it (test/internals.test.ts exercises every one), then PINNED.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { WasmMemory } from './kernels/simd-adam';
import type { BackendName } from './names';
import { requireOptional } from './optional';

/** The version of tfjs and its backends that every access below was written for; package.json pins the same. */
export const PINNED = '4.22.0';

type Backend = BackendName;

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** A tfjs package at another version than PINNED: exit 2 with what to do, as for any mistake in the install. */
export class PinnedVersionError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'PinnedVersionError';
  }
}

/**
 * The installed versions that `backend` depends on: tfjs and the tfjs-core and cpu backend it bundles (the engine
 * is used on every backend), and the backend's own package once it is loaded (an optional one may be absent).
 */
export function installedVersions(backend: Backend): Record<string, string> {
  const found: Record<string, string> = {
    '@tensorflow/tfjs': tf.version.tfjs,
    '@tensorflow/tfjs-core': tf.version['tfjs-core'],
    '@tensorflow/tfjs-backend-cpu': tf.version['tfjs-backend-cpu'],
  };
  // A loaded package is already in require's cache: asking for it again loads nothing.
  if (backend === 'wasm' && tf.findBackendFactory('wasm'))
    found[WASM_PACKAGE] = (requireOptional(WASM_PACKAGE) as { version_wasm: string }).version_wasm;
  if (backend === 'webgpu' && tf.findBackendFactory('webgpu'))
    found[WEBGPU_PACKAGE] = (requireOptional(`${WEBGPU_PACKAGE}/package.json`) as { version: string }).version;
  // Native TensorFlow touches no internal listed here, but package.json pins it with the rest.
  if (backend === 'tensorflow' && tf.findBackendFactory('tensorflow'))
    found[NODE_GPU_PACKAGE] = (requireOptional(`${NODE_GPU_PACKAGE}/package.json`) as { version: string }).version;
  return found;
}

/** Throws PinnedVersionError naming each package of `found` that is not at PINNED, and what to do about it. */
export function checkVersions(found: Readonly<Record<string, string>>): void {
  const wrong = Object.entries(found).filter(([, version]) => version !== PINNED);
  if (wrong.length === 0) return;
  const list = wrong.map(([name, version]) => `${name} ${version}`).join(', ');
  throw new PinnedVersionError(
    `tfjs version mismatch: ${list} installed, but ln-repro was written for ${PINNED} and uses private parts ` +
      `of it (listed in src/backend/internals.ts). Run \`npm ci\` to install the versions package-lock.json pins. ` +
      `To move to another version, first check each access in src/backend/internals.ts against it ` +
      `(test/internals.test.ts), then change PINNED there and the versions in package.json.`,
  );
}

/** The packages already checked (each access checks its own on first use). */
const verified = { tfjs: false, wasm: false, webgpu: false };

/**
 * Asserts that the packages `backend` runs on are at PINNED. Backend selection calls it as soon as the backend's
 * package is loaded; each access below also asserts its own packages first, for callers that make a backend
 * current themselves (tests). A backend that is not loaded is not checked.
 */
export function assertPinnedVersions(backend: Backend): void {
  const found = installedVersions(backend);
  checkVersions(found);
  verified.tfjs = true;
  if (WASM_PACKAGE in found) verified.wasm = true;
  if (WEBGPU_PACKAGE in found) verified.webgpu = true;
}

/** Before touching the internals of `part`: its version, once per process. */
function pinned(part: 'tfjs' | 'wasm' | 'webgpu'): void {
  if (!verified[part]) assertPinnedVersions(part === 'tfjs' ? 'cpu' : part);
}

// tfjs-core's engine.

/**
 * EngineState.gradientDepth (undocumented; tfjs has no public accessor): above 0 while tf.grads, tf.variableGrads
 * or an optimizer runs the forward function and records it for the backward pass.
 */
export function gradientDepth(): number {
  pinned('tfjs');
  return tf.engine().state.gradientDepth;
}

/** A custom op's gradient: the gradients of its outputs (zeros for one that reaches no loss) and what it saved. */
/** A gradient, or the function that computes it when tfjs asks for it (only inputs on a path to the loss). */
export type Gradient = tf.Tensor | (() => tf.Tensor);
export type CustomBackward = (dys: tf.Tensor[], saved: tf.Tensor[]) => Gradient[];

/**
 * An op with several outputs and a gradient of our own: tf.customGrad allows one output, so this calls what it
 * calls, engine.runKernelFunc (public on the Engine class, not in tfjs' documented API). `forward` runs with
 * recording paused and inside a tidy (it keeps what it returns and what it hands `save`, which is kept only while a
 * gradient is being recorded); `backward` returns one gradient per input, in the inputs' order, each a tensor or a
 * function that computes it: tfjs calls it only for an input on a path to the loss.
 */
export function customOp(
  inputs: tf.Tensor[],
  forward: (save: (tensors: tf.Tensor[]) => void) => tf.Tensor[],
  backward: CustomBackward,
): tf.Tensor[] {
  pinned('tfjs');
  const engine = tf.engine() as unknown as {
    runKernelFunc(p: {
      forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor[];
      backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
      inputs: Record<string, tf.Tensor>;
    }): tf.Tensor[];
  };
  const map = Object.fromEntries(inputs.map((t, i) => [String(i), t]));
  return engine.runKernelFunc({
    forwardFunc: (_backend, save) => forward(save),
    backwardsFunc: (dy, saved) => {
      const grads = backward(Array.isArray(dy) ? dy : [dy], saved);
      return Object.fromEntries(grads.map((g, i) => [String(i), typeof g === 'function' ? g : () => g]));
    },
    inputs: map,
  });
}

// The cpu backend (MathBackendCPU of the tfjs-backend-cpu that tfjs bundles).

/** The cpu backend's methods a JavaScript kernel uses (js-kernel.ts). */
export interface CpuBackend {
  /** A float32 tensor's values: the backend's own array, read in place (not to be changed). */
  readSync(dataId: tf.DataId): Float32Array;
  /** A new tensor whose data is `values` itself (not copied), which the kernel has filled. */
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** The cpu backend a kernel was handed, as its typed view. */
export function cpuBackend(backend: unknown): CpuBackend {
  pinned('tfjs');
  return backend as CpuBackend;
}

// The wasm backend (BackendWasm of tfjs-backend-wasm) and its stock kernels.

/** The wasm backend's methods a JavaScript kernel uses to work on the wasm heap in place (js-kernel.ts). */
export interface WasmBackend {
  /** A new tensor of `shape` on the wasm heap, not zeroed. Growing the heap detaches earlier views of it. */
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  /** A view of a float32 tensor's data on the wasm heap. */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** The wasm backend a kernel was handed, as its typed view. */
export function wasmBackend(backend: unknown): WasmBackend {
  pinned('wasm');
  return backend as WasmBackend;
}

/** Whether tfjs-backend-wasm is loaded (it registers its backend and kernels on import). */
export const wasmLoaded = (): boolean => Boolean(tf.findBackendFactory('wasm'));

/**
 * The wasm backend's heap, once that backend is initialized: the memory its Emscripten module exports
 * (`wasm.asm.memory`), read from the engine's registry of initialized backends (tf.findBackend would initialize it).
 */
export function wasmHeap(): WasmMemory | undefined {
  const backend = tf.engine().registry.wasm as unknown as { wasm?: { asm?: { memory?: WasmMemory } } } | undefined;
  if (!backend) return undefined;
  pinned('wasm');
  return backend.wasm?.asm?.memory;
}

/** Stock wasm kernels as tfjs-backend-wasm registered them, read before the first replacement of each. */
const stockWasm = new Map<string, tf.KernelConfig>();

/**
 * Stock tfjs-backend-wasm kernel `name`. Read the first time it is asked for, which for a kernel this project
 * replaces is before the replacement (setWasmKernel asks first). Our fixes and speed-ups call these directly,
 * relying on what each computes in 4.22: which inputs and attributes it takes, and where it is wrong.
 */
export function stockWasmKernel(name: string): tf.KernelConfig {
  pinned('wasm');
  let config = stockWasm.get(name);
  if (!config) {
    config = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
    if (!config) throw new Error(`tfjs-backend-wasm has no kernel ${name}: is the package loaded?`);
    stockWasm.set(name, config);
  }
  return config;
}

/** Whether wasm kernel `name` is the stock one now (not yet replaced by one of ours). */
export function isStockWasmKernel(name: string): boolean {
  const registered = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
  return registered?.kernelFunc === stockWasmKernel(name).kernelFunc;
}

/** Runs stock wasm kernel `name` directly, outside the engine (no tape): the caller disposes the output. */
export function runStockWasm(
  name: string,
  backend: tf.KernelBackend,
  inputs: Record<string, tf.TensorInfo | undefined>,
  attrs: object = {},
): tf.TensorInfo {
  const args = { inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap };
  return stockWasmKernel(name).kernelFunc(args) as tf.TensorInfo;
}

/**
 * Makes `kernelFunc` wasm kernel `name`, in place of whatever is registered (the stock kernel or another of ours).
 * It keeps the stock kernel's setupFunc, which binds the wasm function the stock kernelFunc calls when the backend
 * is initialized after this.
 */
export function setWasmKernel(name: string, kernelFunc: tf.KernelFunc): void {
  const stock = stockWasmKernel(name);
  if ((tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined)?.kernelFunc === kernelFunc) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}

// The webgpu backend (WebGPUBackend of tfjs-backend-webgpu; all but `device` and a few methods private there).

export interface GpuPipeline {
  getBindGroupLayout(index: number): unknown;
}

/** The GPUDevice calls dispatch.ts makes (standard WebGPU; the device is tfjs-webgpu's). */
export interface GpuDevice {
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
  createComputePipeline(descriptor: object): GpuPipeline;
  createBindGroup(descriptor: object): unknown;
  queue: { onSubmittedWorkDone(): Promise<unknown> };
}

interface ComputePass {
  setPipeline(pipeline: GpuPipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}

/** The fields of WebGPUBackend that its own recordAndSubmit uses, and so do we. */
interface WebgpuFields {
  device: GpuDevice;
  tensorMap: { get(dataId: tf.DataId): { dtype: tf.DataType } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: tf.DataId): void;
  tensorToBinding(info: tf.TensorInfo): unknown;
  makeUniforms(uniforms: { type: 'float32'; data: number[] }[]): unknown;
  /** Buffers the queued commands use (a WeakSet there): tfjs defers their release until the queue is submitted. */
  commandQueueOwnedIds: { add(dataId: tf.DataId): unknown };
  ensureCommandEncoderReady(): void;
  /** Null when nothing is queued since the last submit. */
  commandEncoder: { beginComputePass(descriptor: object): ComputePass } | null;
  computePassEncoder: ComputePass | null;
  dispatchCountInPass: number;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** What a hand-written dispatch (kernels/webgpu/dispatch.ts) does with the webgpu backend, as tfjs' programs do. */
export interface WebgpuBackend {
  readonly device: GpuDevice;
  /** A new float32 tensor of `shape`; its buffer is made when bound. */
  makeOutput(shape: number[]): tf.TensorInfo;
  /** The dtype of the buffer behind `info`: a float32 tensor cast from int32 may still share the int32 buffer. */
  bufferType(info: tf.TensorInfo): tf.DataType;
  /** Each tensor's binding (uploaded first where still on the CPU), its buffer kept until the queue is submitted. */
  bind(infos: readonly tf.TensorInfo[]): unknown[];
  /** A uniform buffer of vec4<f32>s. */
  uniforms(values: { type: 'float32'; data: number[] }[]): unknown;
  /** Appends one dispatch to tfjs' compute pass, in order with its own kernels. */
  record(pipeline: GpuPipeline, group: unknown, grid: [number, number]): void;
  /** Whether commands are recorded that tfjs has not submitted yet (it holds them back for its next batch). */
  pending(): boolean;
  /** Submits what tfjs holds back, then resolves once the GPU has finished all submitted work. */
  idle(): Promise<void>;
}

/**
 * Records a dispatch the way tfjs-webgpu's recordAndSubmit does (same encoder, pass and submit batching). Unlike
 * tfjs' own programs it writes no timestamp query: tf.time's kernelMs leaves these kernels out (tf.profile
 * still lists them).
 */
function record(be: WebgpuFields, pipeline: GpuPipeline, group: unknown, [x, y]: [number, number]): void {
  be.ensureCommandEncoderReady();
  const encoder = be.commandEncoder;
  if (!encoder) throw new Error('tfjs-webgpu made no command encoder');
  be.computePassEncoder ??= encoder.beginComputePass({});
  be.computePassEncoder.setPipeline(pipeline);
  be.computePassEncoder.setBindGroup(0, group);
  be.computePassEncoder.dispatchWorkgroups(x, y, 1);
  be.dispatchCountInPass++;
  if (tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= be.dispatchCountInPass) {
    be.endComputePassEncoder();
    be.submitQueue();
  }
}

async function idle(be: WebgpuFields): Promise<void> {
  if (be.commandEncoder) {
    be.endComputePassEncoder();
    be.submitQueue();
  }
  await be.device.queue.onSubmittedWorkDone();
}

function viewOf(be: WebgpuFields): WebgpuBackend {
  return {
    get device() {
      return be.device;
    },
    makeOutput: (shape) => be.makeTensorInfo(shape, 'float32'),
    bufferType: (info) => be.tensorMap.get(info.dataId)?.dtype ?? info.dtype,
    bind(infos) {
      for (const t of infos) be.uploadToGPU(t.dataId);
      const bindings = infos.map((t) => be.tensorToBinding(t));
      for (const t of infos) be.commandQueueOwnedIds.add(t.dataId);
      return bindings;
    },
    uniforms: (values) => be.makeUniforms(values),
    record: (pipeline, group, grid) => record(be, pipeline, group, grid),
    pending: () => be.commandEncoder !== null,
    idle: () => idle(be),
  };
}

const webgpuViews = new WeakMap<object, WebgpuBackend>();

/** The webgpu backend (a kernel's `backend`, or tf.backend() on webgpu) as its typed view. */
export function webgpuBackend(backend: unknown): WebgpuBackend {
  let view = webgpuViews.get(backend as object);
  if (!view) {
    pinned('webgpu');
    view = viewOf(backend as WebgpuFields);
    webgpuViews.set(backend as object, view);
  }
  return view;
}
