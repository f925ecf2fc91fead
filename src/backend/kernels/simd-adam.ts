// The Adam update as a 4-lane WebAssembly SIMD loop over the wasm backend's own memory. The JavaScript loop
// (adam.ts) is limited by scalar float64 square roots and divisions (~6 ns per parameter, ~11 ms of a batch-128
// MLP step); f32x4 does four at a time. The module is assembled here, instruction by instruction (below, in
// WebAssembly text format alongside), and instantiated on the memory of tfjs' wasm module, so it reads and
// writes tensors where they are, with no copy.
//
// (func $adam (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $mout i32) (param $vout i32)
//             (param $out i32) (param $n i32)
//             (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $step f32) (param $c2 f32)
//             (param $eps f32) (param $tgm f32) (param $tgv f32) (param $tm f32) (param $tv f32)
//   for each i < n rounded down to a multiple of 4, four lanes at a time (byte offsets):
//     gm = |g| >= tgm ? g : 0;  gv = |g| >= tgv ? g : 0
//     m' = b1 m + a1 gm, then 0 where |m'| < tm;  v' = b2 v + (a2 gv) gv, then 0 where v' < tv
//     mout = m';  vout = v';  out = p - step m' / (sqrt(c2 v') + eps)
// The caller does the last n mod 4 elements.
//
// Denormals: x86 computes with subnormal float32 operands or results about a hundred times slower, and
// WebAssembly has no flush-to-zero mode. A model that fits its batch drives gradients, and then the moments
// of dead units, towards zero, and a step's Adam time rose from 2 to 15 ms. So, as TensorFlow's CPU kernels
// do with flush-to-zero, every term that would be subnormal is taken as zero: the thresholds (see adam.ts)
// keep a1 g, a2 g^2, b1 m, b2 v and step m normal. What this drops moves a parameter by less than
// ~1e-30 per step (step * tm / eps), far below float32 resolution.

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions.
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const simd = (op: number) => [0xfd, ...uleb(op)];
const load = [...simd(0x00), 0x00, 0x00]; // v128.load align=1 offset=0 (unaligned is allowed)
const store = [...simd(0x0b), 0x00, 0x00]; // v128.store
const splat = simd(0x13); // f32x4.splat
const [abs, sqrt, add, sub, mul, div] = [0xe0, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7].map(simd); // f32x4.*
const ge = simd(0x46); // f32x4.ge: all ones where a >= b
const and = simd(0x4e); // v128.and
const i32add = [0x6a];

// Locals: parameters 0-18, then $i, $end (i32) and sixteen v128 (eleven splatted constants, five values).
const PARAMS = 19;
const [P, G, M, V, MOUT, VOUT, OUT, N, B1, A1, B2, A2, STEP, C2, EPS, TGM, TGV, TM, TV] = Array.from(
  { length: PARAMS },
  (_, k) => k,
);
const [I, END] = [PARAMS, PARAMS + 1];
const [vB1, vA1, vB2, vA2, vSTEP, vC2, vEPS, vTGM, vTGV, vTM, vTV, vG, vGM, vGV, vM, vV] = Array.from(
  { length: 16 },
  (_, k) => PARAMS + 2 + k,
);
const V128_LOCALS = 16;
const at = (base: number) => [...get(base), ...get(I), ...i32add]; // base + i

/** Splats the eleven f32 parameters from $b1 on into their v128 locals. */
function splatConstants(): number[] {
  return [B1, A1, B2, A2, STEP, C2, EPS, TGM, TGV, TM, TV].flatMap((src, k) => [
    ...get(src),
    ...splat,
    ...set(vB1 + k),
  ]);
}

/** Sets $end to (n & ~3) * 4 bytes, then opens the block and the loop and leaves them once $i reaches $end. */
function loopStart(): number[] {
  return [
    // end = (n & ~3) * 4 bytes
    ...get(N),
    0x41,
    0x7c /* i32.const -4 */,
    0x71 /* i32.and */,
    0x41,
    0x02,
    0x74 /* i32.shl */,
    ...set(END),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(I),
    ...get(END),
    0x4f /* i32.ge_u */,
    0x0d,
    0x01, // br_if 1: done
  ];
}

/** Loads four gradients into $g, and sets $gm and $gv to them, zero where below $tgm and $tgv. */
function gradients(): number[] {
  return [
    ...at(G),
    ...load,
    ...set(vG),
    ...get(vG),
    ...get(vG),
    ...abs,
    ...get(vTGM),
    ...ge,
    ...and,
    ...set(vGM),
    ...get(vG),
    ...get(vG),
    ...abs,
    ...get(vTGV),
    ...ge,
    ...and,
    ...set(vGV),
  ];
}

/** $m = b1 m + a1 gm, then zero where |$m| < $tm. */
function firstMoment(): number[] {
  return [
    ...at(M),
    ...load,
    ...get(vB1),
    ...mul,
    ...get(vA1),
    ...get(vGM),
    ...mul,
    ...add,
    ...set(vM),
    ...get(vM),
    ...get(vM),
    ...abs,
    ...get(vTM),
    ...ge,
    ...and,
    ...set(vM),
  ];
}

/** $v = b2 v + (a2 gv) gv, then zero where $v < $tv. */
function secondMoment(): number[] {
  return [
    ...at(V),
    ...load,
    ...get(vB2),
    ...mul,
    ...get(vA2),
    ...get(vGV),
    ...mul,
    ...get(vGV),
    ...mul,
    ...add,
    ...set(vV),
    ...get(vV),
    ...get(vV),
    ...get(vTV),
    ...ge,
    ...and,
    ...set(vV),
  ];
}

/** Stores mout = $m, vout = $v and out = p - step $m / (sqrt(c2 $v) + eps). */
function stores(): number[] {
  return [
    ...at(MOUT),
    ...get(vM),
    ...store,
    ...at(VOUT),
    ...get(vV),
    ...store,
    ...at(OUT),
    ...at(P),
    ...load,
    ...get(vSTEP),
    ...get(vM),
    ...mul,
    ...get(vV),
    ...get(vC2),
    ...mul,
    ...sqrt,
    ...get(vEPS),
    ...add,
    ...div,
    ...sub,
    ...store,
  ];
}

/** Advances $i by four lanes (16 bytes), branches back to the loop's start, and closes loop, block and function. */
function loopEnd(): number[] {
  return [
    ...get(I),
    0x41,
    0x10 /* i32.const 16 */,
    ...i32add,
    ...set(I),
    0x0c,
    0x00, // br 0: next four
    0x0b, // end loop
    0x0b, // end block
    0x0b, // end function
  ];
}

/** The function's body, its size first: locals, then the code. */
function body(): number[] {
  const code = [
    ...splatConstants(),
    ...loopStart(),
    ...gradients(),
    ...firstMoment(),
    ...secondMoment(),
    ...stores(),
    ...loopEnd(),
  ];
  const locals = [0x02, 0x02, I32, V128_LOCALS, V128]; // 2 x i32, 16 x v128
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module's bytes: one function `adam`, importing its memory as env.memory. */
function adamModuleBytes(): Uint8Array {
  const type = [0x01, 0x60, ...uleb(PARAMS), ...Array<number>(8).fill(I32), ...Array<number>(11).fill(F32), 0x00];
  const imports = [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]; // memory, min 1 page, no max
  const functions = [0x01, 0x00];
  const exports = [0x01, ...name('adam'), 0x00, 0x00];
  const code = [0x01, ...body()];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, type),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

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

/** The part of the WebAssembly JS API used here (the project compiles without the DOM typings that declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** A WebAssembly.Memory: what the wasm backend's module exports as `memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The SIMD loop bound to `memory`, or undefined where WebAssembly SIMD is not available. */
export function instantiateSimdAdam(memory: WasmMemory): SimdAdam | undefined {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const bytes = adamModuleBytes();
  if (!wasm.validate(bytes)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
  return instance.exports.adam as SimdAdam;
}
