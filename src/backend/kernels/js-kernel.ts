// Kernels written as JavaScript loops over float32 buffers, registered for the cpu and wasm backends.
// On wasm the loops read and write the wasm heap in place; on cpu, the backend's typed arrays (both through the
// typed views of internals.ts).
import * as tf from '@tensorflow/tfjs';
import { cpuBackend, wasmBackend } from '../internals';

/** A kernel computed in JavaScript: outputs are fully written by `compute` (wasm memory is not zeroed). */
export interface JsKernel<Attrs> {
  name: string;
  /** Input names, in the order `compute` receives them. */
  inputs: readonly string[];
  outputShapes(inputShapes: number[][], attrs: Attrs): number[][];
  compute(inputs: Float32Array[], outputs: Float32Array[], inputShapes: number[][], attrs: Attrs): void;
}

/** The backends whose memory JavaScript can reach directly. */
const JS_KERNEL_BACKENDS = ['cpu', 'wasm'] as const;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function inputsOf<A>(k: JsKernel<A>, inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return k.inputs.map((name) => {
    const t = inputs[name];
    if (!t || t.dtype !== 'float32') throw new Error(`${k.name}: input ${name} must be a float32 tensor`);
    return t;
  });
}

/** tfjs callers of a one-output kernel (e.g. the conv2d gradient) expect the output itself, not a list. */
const single = (outs: tf.TensorInfo[]) => (outs.length === 1 ? outs[0] : outs);

function wasmKernelFunc<A>(k: JsKernel<A>): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = wasmBackend(backend);
    const ins = inputsOf(k, inputs);
    const shapes = ins.map((t) => t.shape);
    const outs = k.outputShapes(shapes, attrs as unknown as A).map((s) => be.makeOutput(s, 'float32'));
    // Views are taken after every allocation: growing the wasm memory detaches earlier views.
    k.compute(
      ins.map((t) => be.typedArrayFromHeap(t)),
      outs.map((t) => be.typedArrayFromHeap(t)),
      shapes,
      attrs as unknown as A,
    );
    return single(outs);
  };
}

function cpuKernelFunc<A>(k: JsKernel<A>): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = cpuBackend(backend);
    const ins = inputsOf(k, inputs);
    const shapes = ins.map((t) => t.shape);
    const outShapes = k.outputShapes(shapes, attrs as unknown as A);
    const outs = outShapes.map((s) => new Float32Array(size(s)));
    k.compute(
      ins.map((t) => be.readSync(t.dataId)),
      outs,
      shapes,
      attrs as unknown as A,
    );
    return single(outs.map((values, i) => be.makeTensorInfo(outShapes[i], 'float32', values)));
  };
}

export function registerJsKernel<A>(k: JsKernel<A>, backends: readonly string[] = JS_KERNEL_BACKENDS): void {
  for (const backendName of backends) {
    if (tf.getKernel(k.name, backendName)) continue;
    tf.registerKernel({
      kernelName: k.name,
      backendName,
      kernelFunc: backendName === 'wasm' ? wasmKernelFunc(k) : cpuKernelFunc(k),
    });
  }
}

export function unregisterJsKernel(name: string, backends: readonly string[] = JS_KERNEL_BACKENDS): void {
  for (const backendName of backends) if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
}

/** True when the current backend has kernel `name` (otherwise callers take their composite path). */
export function hasKernel(name: string): boolean {
  return Boolean(tf.getKernel(name, tf.getBackend()));
}

/** Runs kernel `name`; always returns the list of outputs. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out];
}
