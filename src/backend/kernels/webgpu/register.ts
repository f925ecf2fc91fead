// The fused kernels of the webgpu backend, registered under the same names as the cpu/wasm ones (and the
// softmax cross-entropy, which only webgpu has), so that the callers' hasKernel checks pick them up.
import * as tf from '@tensorflow/tfjs';
import { SOFTMAX_CE, SOFTMAX_CE_GRAD } from '../../../metrics/classification';
import { webgpuBackend, type WebgpuBackend } from '../../internals';
import { ADAM, type AdamAttrs } from '../adam';
import { GROUP_NORMALIZE, GROUP_NORMALIZE_GRAD, type GroupNormalizeAttrs } from '../group-normalize';
import { NORMALIZE, NORMALIZE_GRAD, type NormalizeAttrs } from '../normalize';
import { adamUpdate } from './adam';
import { groupNormalizeBackward, groupNormalizeForward } from './group-normalize';
import { normalizeBackward, normalizeForward } from './normalize';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './softmax-ce';

interface WebgpuKernel {
  name: string;
  /** Input names, in the order `run` receives them. */
  inputs: readonly string[];
  run(backend: WebgpuBackend, inputs: tf.TensorInfo[], attrs: never): tf.TensorInfo[];
}

export const WEBGPU_KERNELS: readonly WebgpuKernel[] = [
  {
    name: NORMALIZE,
    inputs: ['x', 'gain', 'bias'],
    run: (b, i, a: NormalizeAttrs) => normalizeForward(b, i, a),
  },
  {
    name: NORMALIZE_GRAD,
    inputs: ['dy', 'x', 'mean', 'rstd', 'gain'],
    run: (b, i, a: NormalizeAttrs) => normalizeBackward(b, i, a),
  },
  {
    name: GROUP_NORMALIZE,
    inputs: ['x', 'gain', 'bias'],
    run: (b, i, a: GroupNormalizeAttrs) => groupNormalizeForward(b, i, a),
  },
  {
    name: GROUP_NORMALIZE_GRAD,
    inputs: ['dy', 'x', 'mean', 'rstd', 'gain'],
    run: (b, i, a: GroupNormalizeAttrs) => groupNormalizeBackward(b, i, a),
  },
  { name: ADAM, inputs: ['param', 'grad', 'm', 'v'], run: (b, i, a: AdamAttrs) => adamUpdate(b, i, a) },
  { name: SOFTMAX_CE, inputs: ['logits', 'labels'], run: (b, i) => softmaxCrossEntropy(b, i) },
  { name: SOFTMAX_CE_GRAD, inputs: ['dy', 'logits', 'labels'], run: (b, i) => softmaxCrossEntropyGrad(b, i) },
];

function kernelFunc(k: WebgpuKernel): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = k.inputs.map((name) => {
      const t = inputs[name];
      if (!t) throw new Error(`${k.name}: input ${name} is missing`);
      return t;
    });
    const outs = k.run(webgpuBackend(backend), ins, attrs as never);
    return outs.length === 1 ? outs[0] : outs;
  };
}

export function registerWebgpuKernels(): void {
  for (const k of WEBGPU_KERNELS)
    if (!tf.getKernel(k.name, 'webgpu'))
      tf.registerKernel({ kernelName: k.name, backendName: 'webgpu', kernelFunc: kernelFunc(k) });
}

export function unregisterWebgpuKernels(): void {
  for (const k of WEBGPU_KERNELS) if (tf.getKernel(k.name, 'webgpu')) tf.unregisterKernel(k.name, 'webgpu');
}
