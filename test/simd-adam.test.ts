// The Adam SIMD module that the build compiles from simd-adam.wat with wabt: the former hand assembler's bytes, and
// one update on a fresh memory against float32 arithmetic done here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instantiateSimdAdam, type WasmMemory } from '../src/backend/kernels/simd-adam';

const BUILT = join(__dirname, '..', 'src', 'backend', 'kernels', 'simd-adam.wasm');
const FIXTURE = join(__dirname, '..', '..', 'test', 'fixtures', 'simd-adam.wasm.hex');

/** The fixture's bytes: hex digits, with `#` comment lines. */
function fixtureBytes(): Buffer {
  const hex = readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('')
    .replace(/\s/g, '');
  return Buffer.from(hex, 'hex');
}

describe('simd-adam.wasm', () => {
  it('is byte for byte the module the removed hand assembler emitted (commit df8c354)', () => {
    const expected = fixtureBytes();
    assert.equal(expected.length, 367, 'the fixture parses');
    assert.equal(readFileSync(BUILT).toString('hex'), expected.toString('hex'));
  });

  it('computes float32 Adam on the whole groups of four, zeroes what is below its threshold, leaves the rest', () => {
    const { Memory } = (
      globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }
    ).WebAssembly;
    const memory = new Memory({ initial: 1 });
    const adam = instantiateSimdAdam(memory);
    assert.ok(adam, 'WebAssembly SIMD is available');
    const n = 5; // one group of four; the fifth element is the caller's
    const arrays = Array.from({ length: 7 }, (_, k) => new Float32Array(memory.buffer, 32 * k, n));
    const [p, g, m, v, mOut, vOut, out] = arrays;
    // Element 2: a gradient below tgm and tgv, and moments that decay below tm and tv.
    p.set([1, -2, 0.5, 3, 7]);
    g.set([0.1, -0.3, 1e-12, 2, 5]);
    m.set([0.05, 0.2, 1e-20, 0, 1]);
    v.set([0.01, 0.04, 1e-20, 0, 1]);
    const k = [0.9, 0.1, 0.999, 0.001, 0.01, 2, 1e-8, 1e-9, 1e-9, 1e-15, 1e-15] as const;
    adam(
      p.byteOffset,
      g.byteOffset,
      m.byteOffset,
      v.byteOffset,
      mOut.byteOffset,
      vOut.byteOffset,
      out.byteOffset,
      n,
      ...k,
    );

    // Each operation rounded to float32, as f32x4 does (exact: float64 has room for correctly rounded float32).
    const f = Math.fround;
    const [b1, a1, b2, a2, step, c2, eps, tgm, tgv, tm, tv] = k.map(f);
    for (let i = 0; i < 4; i++) {
      const gm = Math.abs(g[i]) >= tgm ? g[i] : 0;
      const gv = Math.abs(g[i]) >= tgv ? g[i] : 0;
      const m1 = f(f(m[i] * b1) + f(a1 * gm));
      const v1 = f(f(v[i] * b2) + f(f(a2 * gv) * gv));
      const [mi, vi] = [Math.abs(m1) >= tm ? m1 : 0, v1 >= tv ? v1 : 0];
      const pi = f(p[i] - f(f(step * mi) / f(f(Math.sqrt(f(vi * c2))) + eps)));
      assert.deepEqual([mOut[i], vOut[i], out[i]], [mi, vi, pi], `element ${i}`);
    }
    assert.deepEqual([mOut[2], vOut[2], out[2]], [0, 0, p[2]], 'element 2 is zeroed and its parameter unchanged');
    assert.deepEqual([mOut[4], vOut[4], out[4]], [0, 0, 0], 'the fifth element is left to the caller');
  });
});
