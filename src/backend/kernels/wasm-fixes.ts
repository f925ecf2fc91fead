// The correctness fix for a stock tfjs-backend-wasm 4.22 kernel that computes wrong results. Not a fast path:
// installed whenever the wasm backend is chosen and never removed (fast.ts), so no wrong stock kernel runs, with the
// fast paths on or off.
//
// _FusedMatMul (a product with a fused bias and activation: tf.fused.matMul, tf.layers' dense layers). The stock
// kernel hands a product to XNNPACK only when neither input is transposed and both have batch 1; every other product
// takes its scalar loop, which adds the fused bias once per block of k, at a wrong index, and applies relu and relu6
// to each block's partial sum (errors of 1.9 and 5.1 on a [2,60,100] x [2,100,70] product; a bias alone is wrong
// at any k, relu without one from k ~ 100). So wherever the stock kernel would take that loop with a bias or any
// activation (we found elu, sigmoid and the leaky relus right there, but trust the loop with none), the product runs
// unfused: BatchMatMul (whose loop is right), then the bias add, then the activation, each a stock kernel. The
// XNNPACK path, and a bare product on the loop, stay the stock kernel's: both are right.
import * as tf from '@tensorflow/tfjs';
import { isStockWasmKernel, runStockWasm, setWasmKernel, stockWasmKernel } from '../internals';

export interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

interface FusedAttrs extends MatMulAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

type Args = Parameters<tf.KernelFunc>[0];

/** The stock kernel for each activation a _FusedMatMul can apply ('linear' needs none). */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/** The product of the batch dimensions (all but the last two). */
export const batchOf = (t: tf.TensorInfo): number => t.shape.slice(0, -2).reduce((a, b) => a * b, 1);

/** Whether the stock kernels run op(a) op(b) in their scalar loop rather than on XNNPACK. */
export function takesStockLoop(a: tf.TensorInfo, b: tf.TensorInfo, { transposeA, transposeB }: MatMulAttrs): boolean {
  return transposeA || transposeB || batchOf(a) !== 1 || batchOf(b) !== 1;
}

/** A _FusedMatMul as three stock kernels: BatchMatMul, Add of the bias, the activation. */
function unfusedMatMul(args: Args): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { transposeA, transposeB, activation = 'linear', leakyreluAlpha } = args.attrs as unknown as FusedAttrs;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  let out = runStockWasm('BatchMatMul', backend, { a, b }, { transposeA, transposeB });
  const then = (next: tf.TensorInfo) => {
    backend.disposeData(out.dataId);
    out = next;
  };
  if (bias) then(runStockWasm('Add', backend, { a: out, b: bias }));
  if (activation !== 'linear') {
    const kernel = ACTIVATION_KERNELS[activation];
    if (!kernel) throw new Error(`_FusedMatMul: unknown activation ${activation}`);
    const inputs = kernel === 'Prelu' ? { x: out, alpha: preluActivationWeights } : { x: out };
    then(runStockWasm(kernel, backend, inputs, { alpha: leakyreluAlpha }));
  }
  return out;
}

/** _FusedMatMul, right for every product: the stock kernel where it is right, else unfused. */
export const fixedFusedMatMul: tf.KernelFunc = (args) => {
  const attrs = args.attrs as unknown as FusedAttrs;
  const { a, b, bias } = args.inputs as Record<string, tf.TensorInfo>;
  const fused = Boolean(bias) || (attrs.activation ?? 'linear') !== 'linear';
  if (fused && takesStockLoop(a, b, attrs)) return unfusedMatMul(args);
  return stockWasmKernel('_FusedMatMul').kernelFunc(args);
};

/**
 * Replaces the stock _FusedMatMul with the fixed one; leaves any other kernel registered there (the fast paths'
 * routing, which calls the fixed one). The wasm package must be loaded.
 */
export function installWasmFixes(): void {
  if (isStockWasmKernel('_FusedMatMul')) setWasmKernel('_FusedMatMul', fixedFusedMatMul);
}
