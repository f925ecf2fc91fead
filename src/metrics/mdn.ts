// The mixture-density output of Graves (2013, "Generating sequences with recurrent neural networks", section 4,
// eqs. 18-26) for pen offsets: the per-point negative log-likelihood as a tfjs loss (stable in float32), and a
// pure-JS sampler with the biased sampling of section 5.4.
import * as tf from '@tensorflow/tfjs';

/**
 * The blocks of one output row after column 0, each `mixtures` wide, in order. Column 0 is the end-of-stroke logit
 * l, p(pen-up) = sigmoid(l). Graves writes e = 1 / (1 + exp(ê)) (eq. 18), i.e. l = -ê: the same family, the sign
 * flipped. logits: π = softmax (eq. 19); mu1, mu2: the means of dx, dy (eq. 20); logSigma1, logSigma2: σ = exp
 * (eq. 21); rhoHat: ρ = tanh(ρ̂) (eq. 22).
 */
export const MDN_BLOCKS = ['logits', 'mu1', 'mu2', 'logSigma1', 'logSigma2', 'rhoHat'] as const;
export type MdnBlock = (typeof MDN_BLOCKS)[number];

/** The width of one output row for `mixtures` bivariate components: 1 + 6 M. */
export function mdnWidth(mixtures: number): number {
  if (!Number.isInteger(mixtures) || mixtures < 1)
    throw new RangeError(`mixtures must be a positive integer, got ${mixtures}`);
  return 1 + MDN_BLOCKS.length * mixtures;
}

/** The first column of `block` in a row: 1 + (its index in MDN_BLOCKS) M. */
export function mdnColumn(block: MdnBlock, mixtures: number): number {
  return 1 + MDN_BLOCKS.indexOf(block) * mixtures;
}

type Blocks = Record<MdnBlock, tf.Tensor2D> & { pen: tf.Tensor2D };

/** The row's blocks, each [N, M] (pen [N, 1]). */
function splitRows(y: tf.Tensor2D, mixtures: number): Blocks {
  const [pen, ...parts] = tf.split(y, [1, ...MDN_BLOCKS.map(() => mixtures)], 1) as tf.Tensor2D[];
  return {
    pen,
    ...(Object.fromEntries(MDN_BLOCKS.map((name, i) => [name, parts[i]])) as Record<MdnBlock, tf.Tensor2D>),
  };
}

/**
 * log N(x1, x2 | μ, σ, ρ) of each component, [N, M] (eq. 24-25), from ρ̂ without forming ρ = tanh(ρ̂), which
 * rounds to ±1 in float32 for |ρ̂| > 8.7:
 * - log(1 - ρ²) = log sech²(ρ̂) = 2 log 2 - softplus(2ρ̂) - softplus(-2ρ̂) (1 ∓ ρ = 2 sigmoid(∓2ρ̂)), the same as
 *   2 log 2 - 2|ρ̂| - 2 softplus(-2|ρ̂|) without abs (whose tfjs gradient at 0 is -1);
 * - Z / (1 - ρ²) with Z = z1² + z2² - 2ρ z1 z2 in the correlation's eigenbasis,
 *   ((z1 + z2)² / (1 + ρ) + (z1 - z2)² / (1 - ρ)) / 2, where 1 / (1 ± ρ) = (1 + exp(∓2ρ̂)) / 2: two terms that
 *   are never negative, so no cancellation, also on the ridge z1 = ±z2 where the density concentrates.
 * Finite while exp(2|ρ̂|) is (|ρ̂| < 44); the log-density is never exponentiated here.
 */
function logDensity(p: Blocks, x1: tf.Tensor2D, x2: tf.Tensor2D): tf.Tensor2D {
  const z1 = tf.mul(tf.sub(x1, p.mu1), tf.exp(tf.neg(p.logSigma1)));
  const z2 = tf.mul(tf.sub(x2, p.mu2), tf.exp(tf.neg(p.logSigma2)));
  const twoRho = tf.mul(p.rhoHat, 2);
  const along = tf.mul(tf.square(tf.add(z1, z2)), tf.add(1, tf.exp(tf.neg(twoRho))));
  const across = tf.mul(tf.square(tf.sub(z1, z2)), tf.add(1, tf.exp(twoRho)));
  // Z / (2 (1 - ρ²)) = (along + across) / 8.
  const quadratic = tf.mul(tf.add(along, across), 1 / 8);
  // -½ log(1 - ρ²) = ½ (softplus(2ρ̂) + softplus(-2ρ̂)) - log 2.
  const halfLogDet = tf.sub(tf.mul(tf.add(tf.softplus(twoRho), tf.softplus(tf.neg(twoRho))), 0.5), Math.LN2);
  const logNorm = tf.add(tf.add(p.logSigma1, p.logSigma2), Math.log(2 * Math.PI));
  return tf.sub(tf.sub(halfLogDet, logNorm), quadratic);
}

/**
 * The negative log-likelihood (nats) of each point, [N] (Graves 2013 eq. 26): -log Σ_j π_j N(dx, dy | μ_j, σ_j, ρ_j)
 * - log(p if pen-up else 1 - p). y [N, 1 + 6M] (layout: MDN_BLOCKS); target [N, 3]: dx, dy, pen-up in {0, 1}.
 * The mixture is a log-sum-exp of log π (a log-softmax) + log N, so a point far in every component's tail (40 σ
 * out: densities below float32's range) still gets its finite NLL and gradient; the pen term is
 * -log sigmoid(l) = softplus(-l) for pen-up, softplus(l) otherwise, i.e. softplus(l) - e l.
 */
export function mdnPointNll(y: tf.Tensor2D, target: tf.Tensor2D, mixtures: number): tf.Tensor1D {
  const width = mdnWidth(mixtures);
  if (
    y.rank !== 2 ||
    y.shape[1] !== width ||
    target.rank !== 2 ||
    target.shape[1] !== 3 ||
    target.shape[0] !== y.shape[0]
  )
    throw new Error(`mdnPointNll: y [N, ${width}] and target [N, 3] expected, got [${y.shape}] and [${target.shape}]`);
  return tf.tidy(() => {
    const p = splitRows(y, mixtures);
    const [x1, x2, penUp] = tf.split(target, 3, 1) as tf.Tensor2D[];
    const logMixture = tf.logSumExp(tf.add(tf.logSoftmax(p.logits), logDensity(p, x1, x2)), 1);
    const penNll = tf.sub(tf.softplus(p.pen), tf.mul(penUp, p.pen));
    return tf.sub(tf.reshape(penNll, [-1]), logMixture) as tf.Tensor1D;
  });
}

/** One row's distribution as plain numbers: mixture weights, means, standard deviations, correlations, p(pen-up). */
export interface MdnParams {
  weights: number[];
  mu1: number[];
  mu2: number[];
  sigma1: number[];
  sigma2: number[];
  rho: number[];
  /** sqrt(1 - ρ²) = sech(ρ̂), exact where ρ rounds to ±1. */
  rhoComplement: number[];
  penUp: number;
}

/** softmax(v) with the max shifted out. */
function softmax(v: number[]): number[] {
  const top = Math.max(...v);
  const e = v.map((x) => Math.exp(x - top));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}

const sigmoid = (l: number) => (l >= 0 ? 1 / (1 + Math.exp(-l)) : Math.exp(l) / (1 + Math.exp(l)));

/**
 * The distribution of one output row under sampling bias `bias` (Graves 2013 section 5.4, eqs. 61-62):
 * π = softmax(π̂ (1 + bias)), σ = exp(log σ - bias); bias 0 is the model's distribution, larger is cleaner and more
 * likely. The pen and ρ are not biased.
 */
export function mdnParams(row: ArrayLike<number>, mixtures: number, bias: number): MdnParams {
  if (row.length !== mdnWidth(mixtures))
    throw new Error(`mdnParams: a row of ${mdnWidth(mixtures)} expected, got ${row.length}`);
  const block = (name: MdnBlock) => Array.from({ length: mixtures }, (_, j) => row[mdnColumn(name, mixtures) + j]);
  const rhoHat = block('rhoHat');
  return {
    weights: softmax(block('logits').map((v) => v * (1 + bias))),
    mu1: block('mu1'),
    mu2: block('mu2'),
    sigma1: block('logSigma1').map((v) => Math.exp(v - bias)),
    sigma2: block('logSigma2').map((v) => Math.exp(v - bias)),
    rho: rhoHat.map(Math.tanh),
    rhoComplement: rhoHat.map((v) => 1 / Math.cosh(v)),
    penUp: sigmoid(row[0]),
  };
}

/** Two independent N(0, 1) draws by Box-Muller from two uniforms in [0, 1); 1 - u is in (0, 1], so log never sees 0. */
function gaussianPair(rng: () => number): [number, number] {
  const radius = Math.sqrt(-2 * Math.log(1 - rng()));
  const angle = 2 * Math.PI * rng();
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
}

/**
 * One pen offset drawn from an output row: [dx, dy, pen-up (0 or 1)]. A component j ~ π (biased as mdnParams), then
 * dx = μ1 + σ1 n1, dy = μ2 + σ2 (ρ n1 + sqrt(1 - ρ²) n2) with n1, n2 ~ N(0, 1), and pen-up ~ Bernoulli(sigmoid(l)).
 * Uses exactly four draws of `rng` (uniform in [0, 1)), so a seeded rng gives a reproducible sequence.
 */
export function sampleMdnPoint(
  row: ArrayLike<number>,
  mixtures: number,
  bias: number,
  rng: () => number,
): [number, number, number] {
  const p = mdnParams(row, mixtures, bias);
  const u = rng();
  let j = 0;
  let cumulative = p.weights[0];
  // The last component takes what rounding leaves of [0, 1).
  while (j < mixtures - 1 && u >= cumulative) cumulative += p.weights[++j];
  const [n1, n2] = gaussianPair(rng);
  const dx = p.mu1[j] + p.sigma1[j] * n1;
  const dy = p.mu2[j] + p.sigma2[j] * (p.rho[j] * n1 + p.rhoComplement[j] * n2);
  return [dx, dy, rng() < p.penUp ? 1 : 0];
}
