// The mixture-density output of Graves (2013) section 4: the point NLL against a float64 reference written here from
// eqs. 23-26 (random rows; a near-singular correlation; a point 40 σ out of every component; a dominant component),
// its gradient against finite differences of that reference, one value by hand; the sampler's determinism, its
// draws' moments against the mixture's parameters, and biased sampling (section 5.4).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { rngFor } from '../src/data/rng';
import { mdnColumn, mdnParams, mdnPointNll, mdnWidth, sampleMdnPoint, type MdnBlock } from '../src/metrics/mdn';
import { finiteDifference, maxRelError, randomMatrix, TEST_BACKENDS, useBackend } from './helpers';
import { col, LOG_SIGMA1, LOG_SIGMA2, LOGIT, logDensityNaive, MU1, MU2, nllRef, RHO_HAT } from './mdn-reference';

const f32 = (m: number[][]) => m.map((r) => r.map(Math.fround));

/** n rows for M components: logits, means ~ ±3, log σ ~ ±0.9, ρ̂ ~ ±1.8, rounded to float32. */
function randomRows(n: number, mixtures: number, seed: number): number[][] {
  const raw = randomMatrix(n, 1 + 6 * mixtures, seed);
  const scale = (c: number) => (c >= col(mixtures, RHO_HAT, 0) ? 0.6 : c >= col(mixtures, LOG_SIGMA1, 0) ? 0.3 : 1);
  return f32(raw.map((r) => r.map((v, c) => v * scale(c))));
}

/** n targets ~ ±3, pen-up alternating 0, 1. */
function randomTargets(n: number, seed: number): number[][] {
  return f32(randomMatrix(n, 2, seed).map((r, i) => [...r, i % 2]));
}

/** mdnPointNll's values, and that it left no tensor behind. */
async function nllOf(rows: number[][], targets: number[][], mixtures: number): Promise<number[]> {
  const before = tf.memory().numTensors;
  const t = tf.tidy(() => mdnPointNll(tf.tensor2d(rows), tf.tensor2d(targets), mixtures));
  const values = Array.from(await t.data());
  t.dispose();
  assert.equal(tf.memory().numTensors, before);
  return values;
}

/** d sum(mdnPointNll) / dy by tf.grad, [N][1 + 6M]. */
async function gradOf(rows: number[][], targets: number[][], mixtures: number): Promise<number[][]> {
  const before = tf.memory().numTensors;
  const g = tf.tidy(() => {
    const target = tf.tensor2d(targets);
    return tf.grad((y) => tf.sum(mdnPointNll(y as tf.Tensor2D, target, mixtures)))(tf.tensor2d(rows));
  });
  const values = (await g.array()) as number[][];
  g.dispose();
  assert.equal(tf.memory().numTensors, before);
  return values;
}

/**
 * d NLL / dy of each row by central differences of the reference at h and h/2, combined by Richardson
 * ((4 D(h/2) - D(h)) / 3) so that the h² error cancels: near a singular correlation the third derivatives are of
 * order e^(2|ρ̂|). Row by row, so that one row's rounding does not reach another's.
 */
function fdGradient(rows: number[][], targets: number[][], mixtures: number, h = 1e-6): number[][] {
  return rows.map((row, i) => {
    const f = (r: number[]) => nllRef(r, targets[i], mixtures);
    const coarse = finiteDifference(f, row, h);
    return finiteDifference(f, row, h / 2).map((v, k) => (4 * v - coarse[k]) / 3);
  });
}

const allFinite = (m: number[][] | number[]) => (m.flat() as number[]).every(Number.isFinite);

/** Sets column (block, j) of each row, in place. */
function setColumn(rows: number[][], mixtures: number, block: number, j: number, values: number[]): void {
  rows.forEach((r, i) => (r[col(mixtures, block, j)] = Math.fround(values[i])));
}

for (const backend of TEST_BACKENDS)
  describe(`MDN point NLL on ${backend} (float64 reference, finite differences)`, () => {
    it('equals the float64 reference on random rows, M = 3 and 20, pen up and down', async () => {
      await useBackend(backend);
      for (const mixtures of [3, 20]) {
        const rows = randomRows(8, mixtures, 11 + mixtures);
        setColumn(rows, mixtures, RHO_HAT, 0, [0, 0, 0, 0, 0, 0, 0, 0]);
        const targets = randomTargets(8, 12 + mixtures);
        const want = rows.map((r, i) => nllRef(r, targets[i], mixtures));
        // The stable reference is the textbook formula where that one is accurate.
        const naive = rows.map((r, i) => nllRef(r, targets[i], mixtures, logDensityNaive));
        assert.ok(maxRelError(want, naive) < 1e-12, `reference vs textbook ${maxRelError(want, naive)}`);
        const err = maxRelError(await nllOf(rows, targets, mixtures), want);
        assert.ok(err < 1e-5, `M = ${mixtures}: max relative error ${err}`);
      }
    });

    it('its gradient equals finite differences of the reference on random rows (ρ̂ = 0 in some)', async () => {
      await useBackend(backend);
      const rows = randomRows(8, 3, 21);
      setColumn(rows, 3, RHO_HAT, 1, [0, 0, 0, 0, 0.5, -0.5, 1, -1]);
      const targets = randomTargets(8, 22);
      const err = maxRelError(await gradOf(rows, targets, 3), fdGradient(rows, targets, 3));
      assert.ok(err < 1e-5, `max relative error ${err}`);
    });

    it('is finite and exact at a near-singular correlation ρ̂ = ±9, ±20 on its ridge (z1 = ±z2), gradient too', async () => {
      await useBackend(backend);
      const rows = randomRows(4, 3, 31);
      const rhoHat = [9, -9, 20, -20];
      // Component 1 concentrates on its ridge x2 - μ2 = sign(ρ̂) (x1 - μ1); equal σ and dyadic offsets put the
      // target on it exactly in float32 too (off it by one rounding, the NLL moves by ~e^(2|ρ̂|) ε²).
      for (const [block, v] of [
        [MU1, 0.5],
        [MU2, -0.25],
        [LOG_SIGMA1, 0.25],
        [LOG_SIGMA2, 0.25],
      ])
        setColumn(rows, 3, block, 1, [v, v, v, v]);
      setColumn(rows, 3, RHO_HAT, 1, rhoHat);
      const targets = rhoHat.map((r, i) => [1.25, -0.25 + Math.sign(r) * 0.75, i % 2]);
      const nll = rows.map((r, i) => nllRef(r, targets[i], 3));
      const got = await nllOf(rows, targets, 3);
      assert.ok(allFinite(got), `NLL ${got}`);
      assert.ok(maxRelError(got, nll) < 1e-5, `NLL max relative error ${maxRelError(got, nll)}`);
      const grad = await gradOf(rows, targets, 3);
      assert.ok(allFinite(grad), 'gradient not finite');
      // The float64 reference knows d = z1 ∓ z2 to ~1e-16 only, which the curvature across the ridge, e^(2|ρ̂|) / 4,
      // makes O(1) at |ρ̂| = 20 in the columns that move the target off it (μ, log σ). There they are checked against
      // the ridge's closed form instead: the quadratic's slope is z_i (1 + e^(-2|ρ̂|)) / 2 in z_i, so (the component's
      // posterior 1 - 1e-8) d NLL / d μ_i = -z_i / (2 σ) and d NLL / d log σ_i = 1 - z_i² / 2.
      const want = fdGradient(rows, targets, 3);
      const [sigma, z] = [Math.exp(0.25), 0.75 * Math.exp(-0.25)];
      for (const i of [2, 3]) {
        const zi = [z, Math.sign(rhoHat[i]) * z];
        const closed = [-zi[0] / (2 * sigma), -zi[1] / (2 * sigma), 1 - zi[0] ** 2 / 2, 1 - zi[1] ** 2 / 2];
        [MU1, MU2, LOG_SIGMA1, LOG_SIGMA2].forEach((block, k) => (want[i][col(3, block, 1)] = closed[k]));
      }
      const err = maxRelError(grad, want);
      assert.ok(err < 1e-5, `gradient max relative error ${err}`);
    });

    it('is finite and accurate at ρ̂ = ±9, ±20 off the ridge, in every component (NLL up to ~1e16 nats) or one', async () => {
      await useBackend(backend);
      const rhoHat = [9, -9, 20, -20];
      const every = randomRows(4, 3, 41);
      for (const j of [0, 1, 2]) setColumn(every, 3, RHO_HAT, j, rhoHat);
      const targets = randomTargets(4, 42);
      const want = every.map((r, i) => nllRef(r, targets[i], 3));
      const got = await nllOf(every, targets, 3);
      assert.ok(allFinite(got) && Math.min(...want) > 100 && Math.max(...want) > 1e15, `NLL ${got}, reference ${want}`);
      // The NLL's condition is ~ε |z| / |z1 ∓ z2| (the distance across the ridge from O(1) values): 1e-4 here.
      assert.ok(maxRelError(got, want) < 1e-4, `NLL max relative error ${maxRelError(got, want)}`);
      // Relative to each row's largest entry: the reference's rounding (~1e-16 of its NLL) swamps the small ones.
      const grad = await gradOf(every, targets, 3);
      fdGradient(every, targets, 3).forEach((fd, i) => {
        const scale = Math.max(...fd.map(Math.abs));
        const err = Math.max(...grad[i].map((g, k) => Math.abs(g - fd[k]))) / scale;
        assert.ok(allFinite(grad[i]) && err < 1e-5, `row ${i}: gradient error ${err} of the largest entry ${scale}`);
      });
      // One such component among ordinary ones: its density underflows to nothing, and nothing turns NaN.
      const one = randomRows(4, 3, 43);
      setColumn(one, 3, RHO_HAT, 2, rhoHat);
      const oneWant = one.map((r, i) => nllRef(r, targets[i], 3));
      const oneErr = maxRelError(await nllOf(one, targets, 3), oneWant);
      assert.ok(oneErr < 1e-5, `one singular component: NLL max relative error ${oneErr}`);
      const err = maxRelError(await gradOf(one, targets, 3), fdGradient(one, targets, 3));
      assert.ok(err < 1e-5, `one singular component: gradient max relative error ${err}`);
    });

    it('is finite and exact 40 σ out of every component (~800 nats), gradient too', async () => {
      await useBackend(backend);
      const rows = randomRows(4, 3, 51);
      for (let j = 0; j < 3; j++) {
        for (const block of [MU1, MU2]) setColumn(rows, 3, block, j, [0.1 * j, -0.1 * j, 0.05, -0.05]);
        for (const block of [LOG_SIGMA1, LOG_SIGMA2, RHO_HAT]) setColumn(rows, 3, block, j, [0, 0.02 * j, -0.03, 0.01]);
      }
      const targets = [
        [40, 0, 0],
        [0, -40, 1],
        [28.5, 28.5, 0],
        [-28.5, 28.5, 1],
      ];
      const want = rows.map((r, i) => nllRef(r, targets[i], 3));
      const got = await nllOf(rows, targets, 3);
      assert.ok(
        got.every((v) => v > 700 && v < 900),
        `NLL ${got}`,
      );
      assert.ok(maxRelError(got, want) < 1e-5, `NLL max relative error ${maxRelError(got, want)}`);
      // The posteriors come from differences of ~800-nat log-densities, each known in float32 to ~800 ε ≈ 1e-4.
      const grad = await gradOf(rows, targets, 3);
      const err = maxRelError(grad, fdGradient(rows, targets, 3));
      assert.ok(allFinite(grad) && err < 1e-3, `gradient max relative error ${err}`);
    });

    it('is exact where one mixture weight dominates (π̂ = 100 or 40 against ~0: exp overflows float32), the target near it or near another', async () => {
      await useBackend(backend);
      const rows = randomRows(4, 3, 61);
      setColumn(rows, 3, LOGIT, 0, [100, 100, 40, 40]);
      setColumn(rows, 3, LOGIT, 1, [0, 0, -2, -2]);
      const targets = rows.map((r, i) => {
        const j = i % 2; // 0: at the dominant component's mean; 1: at component 1's
        return [r[col(3, MU1, j)] + 0.25, r[col(3, MU2, j)] - 0.25, j].map(Math.fround);
      });
      const want = rows.map((r, i) => nllRef(r, targets[i], 3));
      const nllErr = maxRelError(await nllOf(rows, targets, 3), want);
      assert.ok(nllErr < 1e-5, `NLL max relative error ${nllErr}`);
      const err = maxRelError(await gradOf(rows, targets, 3), fdGradient(rows, targets, 3));
      assert.ok(err < 1e-5, `gradient max relative error ${err}`);
    });

    it('by hand: one component, μ = 0, σ = 1, ρ = 0 at its mean, pen down with l = 0: log 2π + log 2', async () => {
      await useBackend(backend);
      assert.equal(mdnWidth(1), 7);
      assert.deepEqual(
        ['logits', 'mu1', 'mu2', 'logSigma1', 'logSigma2', 'rhoHat'].map((b) => mdnColumn(b as MdnBlock, 3)),
        [1, 4, 7, 10, 13, 16],
      );
      const [got] = await nllOf([[0, 0, 0, 0, 0, 0, 0]], [[0, 0, 0]], 1);
      assert.ok(Math.abs(got - (Math.log(2 * Math.PI) + Math.LN2)) < 1e-6, `${got}`);
    });
  });

const ROW = [
  -1.2, // pen logit: p(pen-up) = sigmoid(-1.2) = 0.231
  0.4,
  -0.3, // mixture logits
  -10,
  10, // μ1: the components far apart in dx, so that dx < 0 tells which drew a point
  2,
  -3, // μ2
  Math.log(0.5),
  Math.log(1.2), // log σ1
  Math.log(0.8),
  Math.log(0.3), // log σ2
  Math.atanh(0.6),
  Math.atanh(-0.5), // ρ̂
];

interface Moments {
  count: number;
  mean: [number, number];
  sd: [number, number];
  corr: number;
}

function moments(points: number[][]): Moments {
  const n = points.length;
  const mean = [0, 1].map((k) => points.reduce((s, p) => s + p[k], 0) / n) as [number, number];
  const cov = (a: number, b: number) => points.reduce((s, p) => s + (p[a] - mean[a]) * (p[b] - mean[b]), 0) / (n - 1);
  const sd = [Math.sqrt(cov(0, 0)), Math.sqrt(cov(1, 1))] as [number, number];
  return { count: n, mean, sd, corr: cov(0, 1) / (sd[0] * sd[1]) };
}

/** Within 4 standard errors: `what` estimated as `got`, expected `want`. */
function near(what: string, got: number, want: number, se: number): void {
  assert.ok(Math.abs(got - want) < 4 * se, `${what}: ${got}, expected ${want} ± ${4 * se}`);
}

/** 20,000 draws at `bias` against the mixture's parameters (mdnParams, itself checked against ROW by hand). */
function checkDraws(bias: number, seed: number): Moments[] {
  const n = 20000;
  const rng = rngFor(seed, 'mdn-sampler');
  const draws = Array.from({ length: n }, () => sampleMdnPoint(ROW, 2, bias, rng));
  const p = mdnParams(ROW, 2, bias);
  const pen = draws.filter((d) => d[2] === 1).length / n;
  assert.ok(draws.every((d) => d[2] === 0 || d[2] === 1));
  near('pen-up frequency', pen, p.penUp, Math.sqrt((p.penUp * (1 - p.penUp)) / n));
  return [0, 1].map((j) => {
    const m = moments(draws.filter((d) => d[0] < 0 === (j === 0)));
    const w = p.weights[j];
    near(`component ${j} frequency`, m.count / n, w, Math.sqrt((w * (1 - w)) / n));
    const sigma = [p.sigma1[j], p.sigma2[j]];
    for (const k of [0, 1]) {
      near(`component ${j} mean ${k}`, m.mean[k], [p.mu1[j], p.mu2[j]][k], sigma[k] / Math.sqrt(m.count));
      near(`component ${j} sd ${k}`, m.sd[k], sigma[k], sigma[k] / Math.sqrt(2 * m.count));
    }
    near(`component ${j} correlation`, m.corr, p.rho[j], (1 - p.rho[j] ** 2) / Math.sqrt(m.count));
    return m;
  });
}

describe('MDN sampler (Graves 2013 section 5.4)', () => {
  it('reads the row as the loss does, biased: π = softmax(π̂ (1 + b)), σ = exp(log σ - b), ρ = tanh(ρ̂)', () => {
    const close = (a: number[], b: number[]) => assert.ok(maxRelError(a, b) < 1e-12, `${a} vs ${b}`);
    for (const bias of [0, 3]) {
      const p = mdnParams(ROW, 2, bias);
      const w0 = 1 / (1 + Math.exp(-0.7 * (1 + bias)));
      close(p.weights, [w0, 1 - w0]);
      close([...p.mu1, ...p.mu2], [-10, 10, 2, -3]);
      close(
        [...p.sigma1, ...p.sigma2],
        [0.5, 1.2, 0.8, 0.3].map((s) => s * Math.exp(-bias)),
      );
      close([...p.rho, ...p.rhoComplement], [0.6, -0.5, 0.8, Math.sqrt(0.75)]);
      close([p.penUp], [1 / (1 + Math.exp(1.2))]);
    }
  });

  it('is deterministic for a seed, and another seed draws other points', () => {
    const draw = (seed: number) => {
      const rng = rngFor(seed, 'mdn-sampler');
      return Array.from({ length: 50 }, () => sampleMdnPoint(ROW, 2, 0.5, rng));
    };
    assert.deepEqual(draw(1), draw(1));
    assert.notDeepEqual(draw(1), draw(2));
    assert.ok(draw(1).flat().every(Number.isFinite));
  });

  it('draws match the mixture: component frequencies, means, sds, correlations, pen-up frequency (4 s.e.)', () => {
    checkDraws(0, 1);
  });

  it('bias 3 shrinks the spread by exp(-3) and concentrates on the most likely component', () => {
    const [plain, biased] = [checkDraws(0, 2), checkDraws(3, 3)];
    assert.ok(biased[0].count > 0.93 * 20000 && plain[0].count < 0.7 * 20000, `${plain[0].count} ${biased[0].count}`);
    for (const j of [0, 1])
      for (const k of [0, 1]) {
        const se = Math.exp(-3) * Math.sqrt(1 / (2 * biased[j].count) + 1 / (2 * plain[j].count));
        near(`component ${j} sd ${k} ratio`, biased[j].sd[k] / plain[j].sd[k], Math.exp(-3), se);
      }
  });

  it('survives a generator that returns 0 (Box-Muller takes log(1 - u))', () => {
    const point = sampleMdnPoint(ROW, 2, 0, () => 0);
    assert.deepEqual(point.map(Number.isFinite), [true, true, true]);
  });
});
