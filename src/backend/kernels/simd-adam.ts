// The Adam update as a 4-lane WebAssembly SIMD loop over the wasm backend's own memory. The JavaScript loop
// (adam.ts) is limited by scalar float64 square roots and divisions (~6 ns per parameter, ~11 ms of a batch-128
// MLP step); f32x4 does four at a time. The loop is written in WebAssembly text (simd-adam.wat, which describes
// it), compiled by wabt at build time to simd-adam.wasm beside this file, and instantiated on the memory of tfjs'
// wasm module, so it reads and writes tensors where they are, with no copy.
//
// Denormals: x86 computes with subnormal float32 operands or results about a hundred times slower, and
// WebAssembly has no flush-to-zero mode. A model that fits its batch drives gradients, and then the moments
// of dead units, towards zero, and a step's Adam time rose from 2 to 15 ms. So, as TensorFlow's CPU kernels
// do with flush-to-zero, every term that would be subnormal is taken as zero: the thresholds (see adam.ts)
// keep a1 g, a2 g^2, b1 m, b2 v and step m normal. What this drops moves a parameter by less than
// ~1e-30 per step (step * tm / eps), far below float32 resolution.
import { instantiate, type WasmMemory } from './wasm-module';

export type { WasmMemory };

export type SimdAdam = (
  p: number,
  g: number,
  m: number,
  v: number,
  mOut: number,
  vOut: number,
  out: number,
  n: number,
  b1: number,
  a1: number,
  b2: number,
  a2: number,
  step: number,
  c2: number,
  eps: number,
  tgm: number,
  tgv: number,
  tm: number,
  tv: number,
) => void;

/** The SIMD loop bound to `memory`, or undefined where WebAssembly SIMD is not available. */
export function instantiateSimdAdam(memory: WasmMemory): SimdAdam | undefined {
  return instantiate('simd-adam', memory)?.adam as SimdAdam | undefined;
}
