// Downstream evaluation of frozen sentence vectors (skip-thoughts, Kiros et al. 2015; the paper's section 6.3): a
// binary logistic regression with an L2 penalty, fitted by full-batch L-BFGS in float64 JS from zero weights (no
// randomness, so the same data give the same weights), judged by k-fold cross-validation with stratified folds
// fixed by a seed; features standardized with the training folds' means and deviations only. The penalty is fixed
// or chosen on inner folds of each outer training part (nested cross-validation, as Kiros et al. tuned theirs).
import seedrandom from 'seedrandom';

/** Examples as rows of a row-major float64 matrix. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A matrix from rows of equal length (Float32Array rows of an encoder's output, number[] rows in tests). */
export function matrixOf(rows: readonly ArrayLike<number>[]): Matrix {
  const cols = rows.length > 0 ? rows[0].length : 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`logistic: row ${i} has ${r.length} features, row 0 has ${cols}`);
    data.set(r, i * cols);
  });
  return { data, rows: rows.length, cols };
}

/** The rows `index` of `x`, in that order. */
export function rowsOf(x: Matrix, index: ArrayLike<number>): Matrix {
  const data = new Float64Array(index.length * x.cols);
  for (let i = 0; i < index.length; i++)
    data.set(x.data.subarray(index[i] * x.cols, (index[i] + 1) * x.cols), i * x.cols);
  return { data, rows: index.length, cols: x.cols };
}

/** Per-feature mean and scale (standard deviation; 1 for a constant feature, which then stays 0). */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

/** The standardizer of `x`'s rows (the training rows only: the test rows must not shape it). */
export function standardizerOf(x: Matrix): Standardizer {
  const mean = new Float64Array(x.cols);
  const scale = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) mean[j] += x.data[i * x.cols + j] / x.rows;
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < x.cols; j++) scale[j] += (x.data[i * x.cols + j] - mean[j]) ** 2 / x.rows;
  for (let j = 0; j < x.cols; j++) scale[j] = scale[j] > 1e-24 ? Math.sqrt(scale[j]) : 1;
  return { mean, scale };
}

/** `x` standardized by `s` (a copy). */
export function standardize(x: Matrix, s: Standardizer): Matrix {
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < x.cols; j++) data[i * x.cols + j] = (x.data[i * x.cols + j] - s.mean[j]) / s.scale[j];
  return { data, rows: x.rows, cols: x.cols };
}

/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The scores w.x_i + b of every row; `params` is [w_1 .. w_d, b]. */
export function scores(x: Matrix, params: Float64Array): Float64Array {
  const z = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = params[x.cols];
    for (let j = 0; j < x.cols; j++) s += x.data[i * x.cols + j] * params[j];
    z[i] = s;
  }
  return z;
}

/**
 * The penalized loss, mean_i log(1 + exp(-t_i (w.x_i + b))) + l2 / 2 |w|^2 with t_i = 2 y_i - 1 (the bias is not
 * penalized), and its gradient with respect to [w, b].
 */
export function logisticLoss(o: { x: Matrix; y: ArrayLike<number>; l2: number; params: Float64Array }): {
  loss: number;
  grad: Float64Array;
} {
  const { x, y, l2, params } = o;
  const z = scores(x, params);
  const grad = new Float64Array(x.cols + 1);
  let loss = 0;
  for (let i = 0; i < x.rows; i++) {
    const t = 2 * y[i] - 1;
    loss += softplus(-t * z[i]) / x.rows;
    const r = (sigmoid(z[i]) - y[i]) / x.rows; // d loss_i / d z_i
    for (let j = 0; j < x.cols; j++) grad[j] += r * x.data[i * x.cols + j];
    grad[x.cols] += r;
  }
  for (let j = 0; j < x.cols; j++) {
    loss += (l2 / 2) * params[j] ** 2;
    grad[j] += l2 * params[j];
  }
  return { loss, grad };
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** L-BFGS's two-loop recursion: the step direction -H g from the last `memory` pairs (s, y), oldest first. */
function direction(g: Float64Array, pairs: readonly { s: Float64Array; y: Float64Array }[]): Float64Array {
  const q = Float64Array.from(g);
  const alpha: number[] = [];
  for (let k = pairs.length - 1; k >= 0; k--) {
    const { s, y } = pairs[k];
    alpha[k] = dot(s, q) / dot(s, y);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[k] * y[j];
  }
  const last = pairs.at(-1);
  // Without pairs yet, a first step of length 1 at most (the gradient's scale is unknown).
  const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.max(1, maxAbs(g));
  for (let j = 0; j < q.length; j++) q[j] *= gamma;
  for (const [k, { s, y }] of pairs.entries()) {
    const beta = dot(y, q) / dot(s, y);
    for (let j = 0; j < q.length; j++) q[j] += (alpha[k] - beta) * s[j];
  }
  return q.map((v) => -v);
}

export interface FitOptions {
  readonly x: Matrix;
  /** Labels 0 or 1. */
  readonly y: ArrayLike<number>;
  /** The penalty on the weights (> 0: the loss is then strictly convex, with one minimum). */
  readonly l2: number;
  /** Stop when every gradient entry is at most this (default 1e-8). */
  readonly tolerance?: number;
  /** Default 2000. */
  readonly maxIterations?: number;
}

export interface LogisticModel {
  /** [w_1 .. w_d, b]. */
  readonly params: Float64Array;
  readonly loss: number;
  /** The largest gradient entry at `params`. */
  readonly gradient: number;
  readonly iterations: number;
}

type Evaluate = (params: Float64Array) => { loss: number; grad: Float64Array };

/** The first step t = 1, 1/2, 1/4, ... along `dir` that lowers the loss by 1e-4 t (g.dir) at least (Armijo). */
function lineSearch(o: { f: Evaluate; params: Float64Array; loss: number; grad: Float64Array; dir: Float64Array }) {
  const slope = dot(o.grad, o.dir);
  for (let t = 1; t > 1e-20; t /= 2) {
    const params = o.params.map((p, j) => p + t * o.dir[j]);
    const next = o.f(params);
    if (next.loss <= o.loss + 1e-4 * t * slope) return { params, ...next };
  }
  return undefined; // no decrease left at float64's precision
}

/**
 * The minimum of logisticLoss by L-BFGS (10 pairs) with a backtracking line search, from zero. The loss is
 * l2-strongly convex, so every step's curvature s.y is positive and the pairs need no check.
 */
export function fitLogistic(o: FitOptions): LogisticModel {
  if (!(o.l2 > 0)) throw new Error(`logistic: l2 must be > 0, got ${o.l2}`);
  const f: Evaluate = (params) => logisticLoss({ x: o.x, y: o.y, l2: o.l2, params });
  let at = { params: new Float64Array(o.x.cols + 1), ...f(new Float64Array(o.x.cols + 1)) };
  const pairs: { s: Float64Array; y: Float64Array }[] = [];
  let iterations = 0;
  for (; iterations < (o.maxIterations ?? 2000) && maxAbs(at.grad) > (o.tolerance ?? 1e-8); iterations++) {
    const next = lineSearch({ f, ...at, dir: direction(at.grad, pairs) });
    if (!next) break;
    pairs.push({ s: next.params.map((p, j) => p - at.params[j]), y: next.grad.map((g, j) => g - at.grad[j]) });
    if (pairs.length > 10) pairs.shift();
    at = next;
  }
  return { params: at.params, loss: at.loss, gradient: maxAbs(at.grad), iterations };
}

/** The predicted labels (1 where the score is positive) of `x`'s rows. */
export const predictLabels = (model: LogisticModel, x: Matrix): Uint8Array =>
  Uint8Array.from(scores(x, model.params), (z) => (z > 0 ? 1 : 0));

/**
 * Each example's fold (0 .. k-1), stratified: each class's examples in a seeded order (purpose names the draw, so
 * that inner folds differ from outer ones), dealt to the folds in turn, the deal going on from class to class, so
 * that every fold has the classes in the data's proportions and the folds' sizes differ by one at most.
 */
export function stratifiedFolds(o: { y: ArrayLike<number>; k: number; seed: number; purpose?: string }): Int32Array {
  const rng = seedrandom.alea([o.seed, 'folds', o.purpose ?? ''].join('/'));
  const fold = new Int32Array(o.y.length);
  let dealt = 0;
  for (const label of [0, 1]) {
    const members = Array.from(o.y, (v, i) => (v === label ? i : -1)).filter((i) => i >= 0);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    for (const i of members) fold[i] = dealt++ % o.k;
  }
  return fold;
}

/** The indices whose fold is (or, with `not`, is not) `f`. */
const where = (fold: Int32Array, f: number, not: boolean) =>
  Array.from(fold.keys()).filter((i) => (fold[i] === f) !== not);

/** Fits on the rows `train` (standardized by their own statistics) and counts the rows `test` it labels right. */
function correctOn(o: { x: Matrix; y: ArrayLike<number>; train: number[]; test: number[]; l2: number }): number {
  const fit = rowsOf(o.x, o.train);
  const s = standardizerOf(fit);
  const model = fitLogistic({ x: standardize(fit, s), y: o.train.map((i) => o.y[i]), l2: o.l2 });
  const labels = predictLabels(model, standardize(rowsOf(o.x, o.test), s));
  return labels.reduce((n, v, i) => n + (v === o.y[o.test[i]] ? 1 : 0), 0);
}

/** Correct predictions of a k-fold cross-validation over the rows `rows` with a fixed penalty. */
function foldCorrect(o: {
  x: Matrix;
  y: ArrayLike<number>;
  rows: number[];
  k: number;
  seed: number;
  purpose: string;
  l2: number;
}): number {
  const fold = stratifiedFolds({ y: o.rows.map((i) => o.y[i]), k: o.k, seed: o.seed, purpose: o.purpose });
  let correct = 0;
  for (let f = 0; f < o.k; f++) {
    const pick = (not: boolean) => where(fold, f, not).map((i) => o.rows[i]);
    correct += correctOn({ ...o, train: pick(true), test: pick(false) });
  }
  return correct;
}

export interface CrossValidationOptions {
  readonly x: Matrix;
  /** Labels 0 or 1, one a row of x. */
  readonly y: ArrayLike<number>;
  /** Outer folds (Kiros et al.: 10). */
  readonly folds: number;
  /** Fixes the folds. */
  readonly seed: number;
  /**
   * A fixed penalty, or candidates: each outer fold then takes the one whose inner cross-validation (innerFolds
   * folds of its training part) labels the most examples right, the larger penalty on a tie.
   */
  readonly l2: number | readonly number[];
  readonly innerFolds?: number;
}

export interface CrossValidation {
  /** Correct labels over all examples, each tested once (in the fold that left it out). */
  readonly accuracy: number;
  /** Each outer fold's test accuracy, size and penalty. */
  readonly folds: readonly { readonly accuracy: number; readonly size: number; readonly l2: number }[];
}

/** The penalty of outer fold `f`: the fixed one, or the candidate best on inner folds of `rows` (its training part). */
function chooseL2(o: CrossValidationOptions & { rows: number[]; f: number }): number {
  if (typeof o.l2 === 'number') return o.l2;
  const k = o.innerFolds;
  if (k === undefined || k < 2) throw new Error(`logistic: a list of l2 candidates needs innerFolds >= 2, got ${k}`);
  let best = NaN;
  let most = -1;
  for (const l2 of [...o.l2].sort((a, b) => b - a)) {
    const correct = foldCorrect({ x: o.x, y: o.y, rows: o.rows, k, seed: o.seed, purpose: `inner/${o.f}`, l2 });
    if (correct > most) [best, most] = [l2, correct];
  }
  return best;
}

/** k-fold cross-validated accuracy of the L2 logistic regression on (x, y); see CrossValidationOptions. */
export function crossValidate(o: CrossValidationOptions): CrossValidation {
  if (o.x.rows !== o.y.length) throw new Error(`logistic: ${o.x.rows} rows but ${o.y.length} labels`);
  if (!Array.from(o.y).every((v) => v === 0 || v === 1)) throw new Error('logistic: labels must be 0 or 1');
  if (!(o.folds >= 2 && o.folds <= o.x.rows)) throw new Error(`logistic: folds ${o.folds} for ${o.x.rows} rows`);
  const fold = stratifiedFolds({ y: o.y, k: o.folds, seed: o.seed, purpose: 'outer' });
  const folds = [];
  let correct = 0;
  for (let f = 0; f < o.folds; f++) {
    const [train, test] = [where(fold, f, true), where(fold, f, false)];
    const l2 = chooseL2({ ...o, rows: train, f });
    const right = correctOn({ x: o.x, y: o.y, train, test, l2 });
    folds.push({ accuracy: right / test.length, size: test.length, l2 });
    correct += right;
  }
  return { accuracy: correct / o.x.rows, folds };
}
