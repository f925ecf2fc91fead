// Four wasm fast paths over the stock tfjs-backend-wasm kernels, switched with the others (fast.ts): matrix products
// routed to XNNPACK whatever the transpose flags, an Identity that shares memory instead of copying it, and a Slice
// (and SplitV) of contiguous values that copies only them. All compute what the kernels they replace compute (with the
// correctness fix of wasm-fixes.ts, which is always on).
//
// Matrix products.
// tfjs-backend-wasm sends a product to XNNPACK only when neither input is transposed and both have batch 1;
// a transposed input falls to a scalar triple loop (~10x slower), and every dense layer's backward pass asks
// for transposed products. XNNPACK also re-packs its right operand whenever that buffer is new, which in
// training is every step for every weight matrix (~2.7x the cost of a transpose). So for each rank-2 product
// we choose between
//   direct:  op(A) op(B)            (transpose what is flagged, pack op(B))
//   swapped: (op(B)^T op(A)^T)^T    (transpose what is not flagged, pack op(A)^T, transpose the result)
// whichever moves fewer elements, and call the kernel untransposed. Batched (batch > 1) products are left to the
// kernel below: the stock BatchMatMul's loop, or the fixed _FusedMatMul, which runs them unfused.
import * as tf from '@tensorflow/tfjs';
import { runStockWasm, setWasmKernel, stockWasmKernel, wasmBackend, wasmLoaded } from '../internals';
import { batchOf, fixedFusedMatMul, type MatMulAttrs } from './wasm-fixes';

/**
 * Relative costs per element, measured on wasm (2-core x86, Node 20): a Transpose kernel ~1.15 ns, XNNPACK
 * creating and packing a right operand it has not seen (a new buffer) ~3.1 ns (3.0 ms for [1000,1000]).
 */
const TRANSPOSE_COST = 1;
const PACK_COST = 2.7;

/** Swaps the last two axes with the backend's own Transpose kernel. */
function transposeLastTwo(x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return runStockWasm('Transpose', backend, { x }, { perm });
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

function untransposed(below: tf.KernelFunc, args: Args, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const attrs = { ...args.attrs, transposeA: false, transposeB: false };
  return below({ ...args, inputs: { ...args.inputs, a, b }, attrs }) as tf.TensorInfo;
}

/** `below` (the stock BatchMatMul or the fixed _FusedMatMul) with every batch-1 product on XNNPACK. */
function routed(below: tf.KernelFunc, canSwap: boolean): tf.KernelFunc {
  return (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    const backend = args.backend as tf.KernelBackend;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    if (batchOf(a) !== 1 || batchOf(b) !== 1 || (!transposeA && !transposeB && !canSwap)) return below(args);
    const [m, k] = transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const cost = strategyCosts(m, k, n, transposeA, transposeB);
    const temps: tf.TensorInfo[] = [];
    const plain = (t: tf.TensorInfo, transpose: boolean) => {
      if (!transpose) return t;
      const out = transposeLastTwo(t, backend);
      temps.push(out);
      return out;
    };
    try {
      if (canSwap && cost.swapped < cost.direct) {
        const productT = untransposed(below, args, plain(b, !transposeB), plain(a, !transposeA)); // [n, m]
        temps.push(productT);
        return transposeLastTwo(productT, backend);
      }
      if (!transposeA && !transposeB) return below(args);
      return untransposed(below, args, plain(a, transposeA), plain(b, transposeB));
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * Identity (what tf.clone runs) copies the whole buffer on wasm, and tfjs clones every tensor a kernel saves
 * for its gradient: both operands of each product, the weights included, every training step. Tensors are
 * immutable, so, as the cpu backend does, the clone can share the buffer and count a reference instead.
 */
const sharingIdentity: tf.KernelFunc = (args) => {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return stockWasmKernel('Identity').kernelFunc(args);
  (args.backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * The stock Slice reads its input with readSync, which on wasm copies the WHOLE tensor out of the heap before taking
 * the slice: a slice costs its input's size, not its own (1.1 ms for 32 rows of a [22112, 32] tensor), and a
 * split into n parts, n slices, O(n^2). A slice of contiguous values (rows of a matrix, the common case) is one
 * copy inside the heap instead; any other slice goes to the stock kernel.
 */
const heapSlice: tf.KernelFunc = (args) => {
  const x = args.inputs.x as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
  const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  if (x.dtype !== 'float32' || !tf.slice_util.isSliceContinous(x.shape, start, extent))
    return stockWasmKernel('Slice').kernelFunc(args);
  const backend = wasmBackend(args.backend);
  const out = backend.makeOutput(extent, 'float32');
  const offset = tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape));
  const count = tf.util.sizeFromShape(extent);
  // Views taken after makeOutput: growing the heap detaches earlier ones.
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + count));
  return out;
};

/** SplitV as slices, each through heapSlice (the stock SplitV calls the stock slice: O(parts * input size)). */
const heapSplit: tf.KernelFunc = (args) => {
  const x = args.inputs.x as tf.TensorInfo;
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number[] | number; axis: number };
  const dim = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dim);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((length) => {
    const size = [...x.shape];
    size[dim] = length;
    const out = heapSlice({ ...args, attrs: { begin: [...begin], size } }) as tf.TensorInfo;
    begin[dim] += length;
    return out;
  });
};

/** Each kernel the speed-ups replace: what it is with them off (stock, or fixed) and with them on. */
function speedups(): Record<string, { off: tf.KernelFunc; on: tf.KernelFunc }> {
  const stockMatMul = stockWasmKernel('BatchMatMul').kernelFunc;
  return {
    // The swap needs the output transposed back, which a fused bias or activation would not survive.
    BatchMatMul: { off: stockMatMul, on: routed(stockMatMul, true) },
    _FusedMatMul: { off: fixedFusedMatMul, on: routed(fixedFusedMatMul, false) },
    Identity: { off: stockWasmKernel('Identity').kernelFunc, on: sharingIdentity },
    Slice: { off: stockWasmKernel('Slice').kernelFunc, on: heapSlice },
    SplitV: { off: stockWasmKernel('SplitV').kernelFunc, on: heapSplit },
  };
}

let installed: ReturnType<typeof speedups> | undefined;

/** Installs the wasm speed-ups (idempotent; nothing to do before tfjs-backend-wasm is loaded). */
export function installWasmSpeedups(): void {
  if (installed || !wasmLoaded()) return;
  installed = speedups();
  for (const [name, { on }] of Object.entries(installed)) setWasmKernel(name, on);
}

/** Puts back the kernels without the speed-ups: the stock ones, and the fixed _FusedMatMul. */
export function uninstallWasmSpeedups(): void {
  if (!installed) return;
  for (const [name, { off }] of Object.entries(installed)) setWasmKernel(name, off);
  installed = undefined;
}
