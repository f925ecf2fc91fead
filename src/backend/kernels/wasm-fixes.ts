// Two fixes to stock tfjs-backend-wasm kernels: matrix products routed to XNNPACK whatever the transpose
// flags, and an Identity that shares memory instead of copying it.
//
// Matrix products.
// tfjs-backend-wasm sends a product to XNNPACK only when neither input is transposed and both have batch 1;
// a transposed input falls to a scalar triple loop (~10x slower), and every dense layer's backward pass asks
// for transposed products. XNNPACK also re-packs its right operand whenever that buffer is new, which in
// training is every step for every weight matrix (~2.7x the cost of a transpose). So for each rank-2 product
// we choose between
//   direct:  op(A) op(B)            (transpose what is flagged, pack op(B))
//   swapped: (op(B)^T op(A)^T)^T    (transpose what is not flagged, pack op(A)^T, transpose the result)
// whichever moves fewer elements, and call the stock kernel untransposed. Besides speed this fixes results:
// the stock slow loop's fused bias is added once per block of k and read at a wrong index, and its fused relu
// is wrong too, so a transposed or batched _FusedMatMul with a bias or relu was wrong. Batched (batch > 1)
// products still take the stock loop, and a batched _FusedMatMul runs unfused there: product, then bias, then
// activation, each with the stock kernel.
import * as tf from '@tensorflow/tfjs';

const originals = new Map<string, tf.KernelConfig>();

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Relative costs per element, measured on wasm (2-core x86, Node 20): a Transpose kernel ~1.15 ns, XNNPACK
 * creating and packing a right operand it has not seen (a new buffer) ~3.1 ns (3.0 ms for [1000,1000]).
 */
const TRANSPOSE_COST = 1;
const PACK_COST = 2.7;

const batchOf = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((a, b) => a * b, 1);

/** Swaps the last two axes with the backend's own Transpose kernel. */
function transposeLastTwo(x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return tf.getKernel('Transpose', 'wasm').kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** Element moves of each strategy for op(A) [m,k] times op(B) [k,n]. */
export function strategyCosts(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): { direct: number; swapped: number } {
  const T = TRANSPOSE_COST;
  const P = PACK_COST;
  return {
    direct: (transposeA ? T * m * k : 0) + ((transposeB ? T : 0) + P) * k * n,
    swapped: (transposeB ? 0 : T * k * n) + ((transposeA ? 0 : T) + P) * m * k + T * m * n,
  };
}

type Args = Parameters<tf.KernelFunc>[0];

interface FusedAttrs extends MatMulAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

/** The stock kernel for each activation a _FusedMatMul can apply ('linear' needs none). */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/** A _FusedMatMul as three stock kernels: BatchMatMul, Add of the bias, the activation. */
function unfusedMatMul(args: Args): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { transposeA, transposeB, activation = 'linear', leakyreluAlpha } = args.attrs as unknown as FusedAttrs;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const run = (name: string, inputs: Record<string, tf.TensorInfo | undefined>, attrs: object = {}) =>
    tf.getKernel(name, 'wasm').kernelFunc({
      inputs: inputs,
      backend,
      attrs: attrs as tf.NamedAttrMap,
    }) as tf.TensorInfo;
  let out = run('BatchMatMul', { a, b }, { transposeA, transposeB });
  const then = (next: tf.TensorInfo) => {
    backend.disposeData(out.dataId);
    out = next;
  };
  if (bias) then(run('Add', { a: out, b: bias }));
  if (activation !== 'linear') {
    const kernel = ACTIVATION_KERNELS[activation];
    if (!kernel) throw new Error(`_FusedMatMul: unknown activation ${activation}`);
    then(
      run(kernel, kernel === 'Prelu' ? { x: out, alpha: preluActivationWeights } : { x: out }, {
        alpha: leakyreluAlpha,
      }),
    );
  }
  return out;
}

function untransposed(original: tf.KernelConfig, args: Args, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const attrs = { ...args.attrs, transposeA: false, transposeB: false };
  return original.kernelFunc({ ...args, inputs: { ...args.inputs, a, b }, attrs }) as tf.TensorInfo;
}

function wrap(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    const backend = args.backend as tf.KernelBackend;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    // Batched products (batch > 1) take the slow loop whatever the flags: leave them to it, unfused.
    if (batchOf(a) !== 1 || batchOf(b) !== 1)
      return original.kernelName === '_FusedMatMul' ? unfusedMatMul(args) : original.kernelFunc(args);
    const [m, k] = transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const cost = strategyCosts(m, k, n, transposeA, transposeB);
    // The swap needs the output transposed back, which a fused bias or activation would not survive.
    const canSwap = original.kernelName === 'BatchMatMul';
    const temps: tf.TensorInfo[] = [];
    const plain = (t: tf.TensorInfo, transpose: boolean) => {
      if (!transpose) return t;
      const out = transposeLastTwo(t, backend);
      temps.push(out);
      return out;
    };
    try {
      if (canSwap && cost.swapped < cost.direct) {
        const productT = untransposed(original, args, plain(b, !transposeB), plain(a, !transposeA)); // [n, m]
        temps.push(productT);
        return transposeLastTwo(productT, backend);
      }
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      return untransposed(original, args, plain(a, transposeA), plain(b, transposeB));
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  return { ...original, kernelFunc };
}

/**
 * Identity (what tf.clone runs) copies the whole buffer on wasm, and tfjs clones every tensor a kernel saves
 * for its gradient: both operands of each product, the weights included, every training step. Tensors are
 * immutable, so, as the cpu backend does, the clone can share the buffer and count a reference instead.
 */
function sharingIdentity(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { ...original, kernelFunc };
}

const FIXES: Record<string, (original: tf.KernelConfig) => tf.KernelConfig> = {
  BatchMatMul: wrap,
  _FusedMatMul: wrap,
  Identity: sharingIdentity,
};

/** Installs the wasm kernel fixes (idempotent). */
export function installWasmFixes(): void {
  for (const [name, fix] of Object.entries(FIXES)) {
    if (originals.has(name)) continue;
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue; // wasm backend module not loaded
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(fix(original));
  }
}

/** Restores the stock kernels (for measuring them). */
export function uninstallWasmFixes(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
}
