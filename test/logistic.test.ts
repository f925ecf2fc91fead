// The downstream classifier of sentence vectors: L2 logistic regression by L-BFGS and k-fold cross-validation. A case
// solved by hand, the gradient against finite differences, the optimum's gradient, separable data, shuffled labels,
// stratified seeded folds, the penalty chosen on inner folds, determinism.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import {
  crossValidate,
  fitLogistic,
  logisticLoss,
  matrixOf,
  predictLabels,
  standardize,
  standardizerOf,
  stratifiedFolds,
  type Matrix,
} from '../src/metrics/logistic';

/** `n` rows of `d` standard normal features (Box-Muller on a seeded stream). */
function gaussian(n: number, d: number, seed: string): number[][] {
  const rng = seedrandom.alea(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Array.from({ length: n }, () => Array.from({ length: d }, normal));
}

/** Labels 1 where w.x > 0 for a fixed w, keeping only rows at least `margin` from the boundary. */
function separable(n: number, d: number, margin: number): { x: number[][]; y: number[] } {
  const w = Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 1 : -0.5));
  const score = (r: number[]) => r.reduce((s, v, j) => s + v * w[j], 0);
  const x = gaussian(4 * n, d, 'separable')
    .filter((r) => Math.abs(score(r)) >= margin)
    .slice(0, n);
  return { x, y: x.map((r) => (score(r) > 0 ? 1 : 0)) };
}

describe('logistic regression: the fit', () => {
  it('solves a case by hand: x = -1, +1 with labels 0, 1 and l2 = 1 give b = 0 and w (1 + e^w) = 1', () => {
    // loss = softplus(-w) + w^2 / 2 by symmetry (b = 0); its derivative -1 / (1 + e^w) + w vanishes where
    // w (1 + e^w) = 1: w = 0.4010...; bisection here, independent of the L-BFGS under test.
    let [lo, hi] = [0, 1];
    for (let i = 0; i < 100; i++)
      [lo, hi] = ((lo + hi) / 2) * (1 + Math.exp((lo + hi) / 2)) > 1 ? [lo, (lo + hi) / 2] : [(lo + hi) / 2, hi];
    const model = fitLogistic({ x: matrixOf([[-1], [1]]), y: [0, 1], l2: 1 });
    assert.ok(Math.abs(model.params[0] - lo) < 1e-9, `w ${model.params[0]} against ${lo}`);
    assert.ok(Math.abs(model.params[1]) < 1e-9, `b ${model.params[1]}`);
    assert.ok(Math.abs(lo - 0.40106) < 1e-5, `w ${lo}`);
  });
  it('has the gradient of its loss (central differences)', () => {
    const x = matrixOf(gaussian(30, 4, 'fd'));
    const y = Array.from({ length: 30 }, (_, i) => i % 2);
    const params = Float64Array.from([0.3, -0.7, 1.1, 0.2, -0.4]);
    const { grad } = logisticLoss({ x, y, l2: 0.1, params });
    for (let j = 0; j < params.length; j++) {
      const at = (h: number) => logisticLoss({ x, y, l2: 0.1, params: params.map((p, k) => (k === j ? p + h : p)) });
      const numeric = (at(1e-6).loss - at(-1e-6).loss) / 2e-6;
      assert.ok(Math.abs(numeric - grad[j]) < 1e-8, `d/dparam ${j}: ${grad[j]} against ${numeric}`);
    }
  });
  it('stops at the minimum: gradient ~ 0 and every nearby point higher', () => {
    const x = matrixOf(gaussian(200, 10, 'min'));
    const y = Array.from({ length: 200 }, (_, i) => (x.data[i * 10] + 0.5 * x.data[i * 10 + 1] > 0.3 ? 1 : 0));
    const model = fitLogistic({ x, y, l2: 0.01 });
    assert.ok(model.gradient <= 1e-8, `gradient ${model.gradient} after ${model.iterations} iterations`);
    for (let j = 0; j < 11; j++)
      for (const h of [-1e-3, 1e-3]) {
        const moved = model.params.map((p, k) => (k === j ? p + h : p));
        assert.ok(logisticLoss({ x, y, l2: 0.01, params: moved }).loss > model.loss, `param ${j} ${h}`);
      }
  });
  it('refuses a penalty of 0 (no unique minimum on separable data)', () =>
    assert.throws(() => fitLogistic({ x: matrixOf([[1]]), y: [1], l2: 0 }), /l2 must be > 0/));
});

describe('logistic regression: standardization', () => {
  it("uses the rows it is given (the training folds') means and deviations; a constant feature stays 0", () => {
    const s = standardizerOf(
      matrixOf([
        [1, 5],
        [3, 5],
      ]),
    );
    assert.deepEqual([...s.mean, ...s.scale], [2, 5, 1, 1]);
    const z: Matrix = standardize(matrixOf([[5, 7]]), s);
    assert.deepEqual([...z.data], [3, 2]);
  });
});

describe('logistic regression: cross-validation', () => {
  it('deals stratified folds fixed by the seed: each fold has the classes in proportion, sizes within one', () => {
    const y = Array.from({ length: 103 }, (_, i) => (i < 61 ? 1 : 0));
    const fold = stratifiedFolds({ y, k: 10, seed: 1 });
    for (let f = 0; f < 10; f++) {
      const members = y.filter((_, i) => fold[i] === f);
      assert.ok(members.length === 10 || members.length === 11, `fold ${f}: ${members.length}`);
      const ones = members.filter((v) => v === 1).length;
      assert.ok(ones === 6 || ones === 7, `fold ${f}: ${ones} of class 1`);
    }
    assert.deepEqual(stratifiedFolds({ y, k: 10, seed: 1 }), fold);
    assert.notDeepEqual(stratifiedFolds({ y, k: 10, seed: 2 }), fold);
  });
  it('labels separable data 100% right', () => {
    const { x, y } = separable(300, 5, 0.5);
    const cv = crossValidate({ x: matrixOf(x), y, folds: 10, seed: 1, l2: 1e-3 });
    assert.equal(cv.accuracy, 1);
    assert.equal(cv.folds.length, 10);
  });
  it('gives ~50% on shuffled labels, though the fit labels its own training rows far better', () => {
    // 1,000 rows: a classifier blind to its input scores 50% +- 1.6% (one standard deviation); the bound, 6%, is 3.8
    // of them. 100 features let the fit memorize: on its own training rows it scored 63%, so a cross-validation that
    // tested on training rows would fail here.
    const { x, y } = separable(1000, 100, 0);
    const rng = seedrandom.alea('shuffle');
    for (let i = y.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [y[i], y[j]] = [y[j], y[i]];
    }
    const m = matrixOf(x);
    const cv = crossValidate({ x: m, y, folds: 10, seed: 1, l2: 1e-3 });
    assert.ok(Math.abs(cv.accuracy - 0.5) < 0.06, `cross-validated accuracy ${cv.accuracy}`);
    const own = predictLabels(fitLogistic({ x: m, y, l2: 1e-3 }), m).filter((v, i) => v === y[i]).length / 1000;
    assert.ok(own > 0.6, `accuracy on its own training rows ${own}`);
  });
  it('chooses the penalty on inner folds, the larger on a tie; is deterministic', () => {
    const near = separable(120, 5, 0.5); // l2 1 or 10 blurs the boundary (84% and 59% cross-validated), 0.01 does not
    const options = { x: matrixOf(near.x), y: near.y, folds: 4, seed: 3, l2: [10, 0.01, 1], innerFolds: 3 };
    const cv = crossValidate(options);
    assert.deepEqual(
      cv.folds.map((f) => f.l2),
      [0.01, 0.01, 0.01, 0.01],
    );
    assert.equal(cv.accuracy, 1);
    assert.deepEqual(crossValidate(options), cv);
    const far = separable(120, 5, 1.5); // every candidate labels all right: the largest is taken
    const tie = crossValidate({ ...options, x: matrixOf(far.x), y: far.y, l2: [1e-4, 1e-2, 1e-3] });
    assert.deepEqual(
      tie.folds.map((f) => f.l2),
      [0.01, 0.01, 0.01, 0.01],
    );
    assert.throws(() => crossValidate({ ...options, innerFolds: undefined }), /innerFolds/);
  });
});
