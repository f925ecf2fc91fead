// The fused cells' SIMD loops (simd-cells.wat) bound to the wasm backend's memory, and the activations in place with
// them where the arrays live there, in scalar JavaScript elsewhere (the cpu backend, the last n mod 4 values).
import { fastSigmoid, fastTanh } from './fast-math';
import { instantiate, type WasmMemory } from './wasm-module';

/** The module's exports (simd-cells.wat says what each computes); pointers are byte offsets, n a multiple of 4. */
export interface SimdCells {
  sum(p: number, n: number): number;
  ssd(p: number, n: number, mean: number): number;
  lnPre(
    out: number,
    hp: number,
    xp: number,
    vec: number,
    n: number,
    mh: number,
    rh: number,
    mx: number,
    rx: number,
  ): void;
  addPre(out: number, hp: number, xp: number, b: number, n: number): void;
  cellUpdate(c: number, act: number, cPrev: number, h: number): void;
  affine(out: number, x: number, g: number, b: number, n: number, mu: number, rs: number): void;
  mul(out: number, a: number, b: number, n: number): void;
  add3(out: number, a: number, b: number, c: number, n: number): void;
  lstmOut(dpreO: number, dnc: number, dh: number, o: number, tc: number, n: number): void;
  lnGrad1(dy: number, x: number, g: number, n: number, mu: number, rs: number, dgain: number, dbias: number): number[];
  lnGrad2(
    dx: number,
    dy: number,
    x: number,
    g: number,
    n: number,
    mu: number,
    rs: number,
    m1: number,
    m2: number,
  ): void;
  lstmGates(dpre: number, dcPrev: number, dcn: number, dc: number, cPrev: number, act: number, h: number): void;
  addInto(acc: number, x: number, n: number): void;
  sigmoid(p: number, n: number): void;
  /** The LSTM step of lstm-rows.ts for B rows: outputs, inputs, B, H, the norm (cell-norms.ts RowNorm), epsilon. */
  lstmForwardRows(...args: number[]): void;
  /** Its backward pass: outputs and acc, the gradients in, the saved values, B, H, the norm. */
  lstmBackwardRows(...args: number[]): void;
  /** The BN-LSTM step and its backward pass (batch statistics over the live rows). */
  lstmForwardBatch(...args: number[]): void;
  lstmBackwardBatch(...args: number[]): void;
  /** The GRU step and its backward pass (none, layer norm or RMSNorm: RowNorm 0, 1, 2 after B, H). */
  gruForwardRows(...args: number[]): void;
  gruBackwardRows(...args: number[]): void;
  tanh(p: number, n: number): void;
}

/** The byte offset of a[i] in the memory its buffer is (the SIMD module's pointers). */
export const heapOffset = (a: Float32Array, i: number): number => a.byteOffset + 4 * i;

let bound: { memory: WasmMemory; simd: SimdCells } | undefined;
const instances = new WeakMap<WasmMemory, SimdCells>();

/** Binds the SIMD loops to the wasm backend's memory (undefined: JavaScript loops only). */
export function useSimdCells(memory: WasmMemory | undefined): void {
  bound = undefined;
  if (!memory) return;
  let simd = instances.get(memory);
  if (!simd) {
    simd = instantiate('simd-cells', memory) as unknown as SimdCells | undefined;
    if (!simd) return;
    instances.set(memory, simd);
  }
  bound = { memory, simd };
}

/** The SIMD loops, when every array lies in the memory they are bound to. */
export function simdFor(arrays: readonly Float32Array[]): SimdCells | undefined {
  const heap = bound?.memory.buffer;
  return heap && arrays.every((a) => a.buffer === heap) ? bound!.simd : undefined;
}

function apply(a: Float32Array, start: number, n: number, vector: 'sigmoid' | 'tanh', scalar: (v: number) => number) {
  const simd = simdFor([a]);
  let done = 0;
  if (simd) {
    simd[vector](heapOffset(a, start), n);
    done = n - (n % 4);
  }
  for (let i = start + done; i < start + n; i++) a[i] = scalar(a[i]);
}

/** a[start .. start + n) = sigmoid(a[...]), in place. */
export const sigmoidInPlace = (a: Float32Array, start: number, n: number): void =>
  apply(a, start, n, 'sigmoid', fastSigmoid);

/** a[start .. start + n) = tanh(a[...]), in place. */
export const tanhInPlace = (a: Float32Array, start: number, n: number): void => apply(a, start, n, 'tanh', fastTanh);
