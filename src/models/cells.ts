// Recurrent cells of the paper's supplementary material: LSTM, LN-LSTM, BN-LSTM (Cooijmans et al.), GRU, LN-GRU.
// Layer norm's statistics are recomputed at every step, with one gain/bias set shared over time.
//
// The initial state (the paper does not say): with h_0 = 0, W_h h_0 is exactly zero, and layer norm of an
// all-zero vector returns its bias but has a Jacobian of g / sqrt(eps) (316x for eps 1e-5). Where the input
// is zero too (the blank top rows of an MNIST digit), the whole state stays exactly zero step after step, and
// the gradient is multiplied by ~300 at every such step: 1e31 after the first rows of sequential MNIST, then
// overflow. So h_0 is a small fixed random vector (uniform in +-model.h0Scale, default 0.1, seeded by train.seed,
// not trained): a "small noisy h_0" (our choice, not the paper's), the same for every cell kind (plain cells
// included, so that the models compared differ only in their norms); c_0 = 0.
import * as tf from '@tensorflow/tfjs';
import type { RnnConfig } from '../config/schema';
import { rngFor, type Rng } from '../data/rng';
import type { StepMask } from '../norm/recurrent-batch-norm';
import { buildRecurrentNorm } from '../norm/registry';
import { tidyUnlessRecording } from '../backend/gradients';
import { variableFrom } from '../util/variables';
import { glorotUniform } from './init';

export interface CellState {
  h: tf.Tensor2D; // [batch, hidden]
  c?: tf.Tensor2D; // [batch, hidden], LSTM only
}

export interface Cell {
  /** [hidden] the initial hidden state, the same for every sequence. */
  readonly h0: Float32Array;
  /** Trained parameters by role (e.g. `W_x`, `ln_h/gain`): tests map them onto a float64 reference. */
  readonly params: Record<string, tf.Variable>;
  /** Non-trained state (batch norm's per-step running averages), read when disposing. */
  state(): tf.Variable[];
  /**
   * One step: x_t [batch, inputs] at step t (0-based). `mask` (variable-length batches) keeps padded rows out
   * of batch statistics; leaving their state unchanged is `unroll`'s job.
   */
  step(x: tf.Tensor2D, s: CellState, t: number, training: boolean, mask?: StepMask): CellState;
  initial(batch: number): CellState;
}

export interface CellOptions {
  config: Pick<
    RnnConfig,
    | 'cell'
    | 'hidden'
    | 'forgetBias'
    | 'h0Scale'
    | 'norm'
    | 'epsilon'
    | 'gainInit'
    | 'biasInit'
    | 'bnStats'
    | 'bnMomentum'
  >;
  inputs: number;
  rng: Rng;
  name: string;
  /** Seeds h_0 (train.seed); its own stream, so the weights do not depend on it. */
  seed?: number;
}

/** h_0: H values uniform in [-scale, scale], from the (seed, 'initial-state') stream. */
function initialHidden(hidden: number, scale: number, seed = 0): Float32Array {
  const rng = rngFor(seed, 'initial-state');
  return Float32Array.from({ length: hidden }, () => (2 * rng() - 1) * scale);
}

/** [batch, H] copies of h_0. */
function tiled(h0: Float32Array, batch: number): tf.Tensor2D {
  return tf.tidy(() => tf.tile(tf.tensor2d(h0, [1, h0.length]), [batch, 1]) as tf.Tensor2D);
}

function weight(name: string, rows: number, cols: number, rng: Rng): tf.Variable<tf.Rank.R2> {
  const values = glorotUniform(rows, cols, rng);
  return variableFrom(name, () => tf.tensor2d(values, [rows, cols]));
}

function vector(name: string, values: number[] | Float32Array): tf.Variable<tf.Rank.R1> {
  return variableFrom(name, () => tf.tensor1d(values));
}

const fill = (n: number, v: number) => new Float32Array(n).fill(v);

type StepNorm = (a: tf.Tensor2D, t: number, training: boolean, mask?: StepMask) => tf.Tensor2D;
const identity: StepNorm = (a) => a;

/**
 * The norm of one of a cell's terms (`role` e.g. `ln_h`), from the norm registry; its gain and bias join `params`
 * as `<role>/gain` and `<role>/bias` (the bias when trained), and its state `states`. Identity for `norm: none`.
 */
function termNorm(o: CellOptions, parts: { params: Record<string, tf.Variable>; states: (() => tf.Variable[])[] }) {
  // trainBias: batch norm only (its gate terms' bias stays 0, the LSTM's b carries it); layer norm trains its bias.
  return (role: string, units: number, trainBias = true): StepNorm => {
    const norm = buildRecurrentNorm(o.config, { name: `${o.name}/${role}`, units, trainBias });
    if (!norm) return identity;
    norm.trainable.forEach((v, k) => (parts.params[`${role}/${k === 0 ? 'gain' : 'bias'}`] = v));
    parts.states.push(norm.state);
    return (a, t, training, mask) => norm.apply(a, t, training, mask);
  };
}

/** LSTM, with layer norm or recurrent batch norm on W_h h, W_x x and the cell (gate order f, i, o, g). */
function createLstm(o: CellOptions): Cell {
  const H = o.config.hidden;
  const params: Record<string, tf.Variable> = {
    W_x: weight(`${o.name}/W_x`, o.inputs, 4 * H, o.rng),
    W_h: weight(`${o.name}/W_h`, H, 4 * H, o.rng),
    b: vector(
      `${o.name}/b`,
      Float32Array.from({ length: 4 * H }, (_, j) => (j < H ? o.config.forgetBias : 0)),
    ),
  };
  const states: (() => tf.Variable[])[] = [];
  const norm = termNorm(o, { params, states });
  const prefix = o.config.norm === 'batch' ? 'bn' : 'ln';
  // Layer norm on the three terms; batch norm's gate terms keep a zero bias (the LSTM's b), its cell's is trained.
  const [nh, nx, nc] = [norm(`${prefix}_h`, 4 * H, false), norm(`${prefix}_x`, 4 * H, false), norm(`${prefix}_c`, H)];
  const h0 = initialHidden(H, o.config.h0Scale, o.seed);
  return {
    params,
    h0,
    state: () => states.flatMap((state) => state()),
    initial: (batch) => ({ h: tiled(h0, batch), c: tf.zeros([batch, H]) }),
    step(x, s, t, training, mask) {
      const gates = tf.add(
        tf.add(
          nh(tf.matMul(s.h, params.W_h as tf.Tensor2D), t, training, mask),
          nx(tf.matMul(x, params.W_x as tf.Tensor2D), t, training, mask),
        ),
        params.b,
      ) as tf.Tensor2D;
      const [f, i, og, g] = tf.split(gates, 4, 1);
      const c = tf.add(tf.mul(tf.sigmoid(f), s.c!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      const h = tf.mul(tf.sigmoid(og), tf.tanh(nc(c, t, training, mask))) as tf.Tensor2D;
      return { h, c };
    },
  };
}

/**
 * GRU: (z, r) = sigmoid(W_h h + W_x x + b_zr); htilde = tanh(W x + r * (U h) + b_n); h' = (1 - z) h + z htilde.
 * LN-GRU (the paper's supplementary material): (z, r) = LN(W_h h) + LN(W_x x); htilde = tanh(LN(W x) + sigmoid(r) * LN(U h)),
 * the norms' biases in place of b_zr and b_n.
 */
function createGru(o: CellOptions): Cell {
  const H = o.config.hidden;
  const params: Record<string, tf.Variable> = {
    W_x: weight(`${o.name}/W_x`, o.inputs, 2 * H, o.rng), // to (z, r)
    W_h: weight(`${o.name}/W_h`, H, 2 * H, o.rng),
    W: weight(`${o.name}/W`, o.inputs, H, o.rng), // to the candidate
    U: weight(`${o.name}/U`, H, H, o.rng),
  };
  if (o.config.norm === 'batch') throw new Error('batch norm is implemented for the LSTM cell only');
  const norm = termNorm(o, { params, states: [] });
  const [nh, nx, nw, nu] = [norm('ln_h', 2 * H), norm('ln_x', 2 * H), norm('ln_w', H), norm('ln_u', H)];
  const layer = o.config.norm === 'layer';
  if (!layer) {
    params.b_zr = vector(`${o.name}/b_zr`, fill(2 * H, 0));
    params.b_n = vector(`${o.name}/b_n`, fill(H, 0));
  }
  const h0 = initialHidden(H, o.config.h0Scale, o.seed);
  return {
    params,
    h0,
    state: () => [],
    initial: (batch) => ({ h: tiled(h0, batch) }),
    step(x, s, t, training) {
      let zr: tf.Tensor = tf.add(
        nh(tf.matMul(s.h, params.W_h as tf.Tensor2D), t, training),
        nx(tf.matMul(x, params.W_x as tf.Tensor2D), t, training),
      );
      if (!layer) zr = tf.add(zr, params.b_zr);
      const [z, r] = tf.split(tf.sigmoid(zr), 2, 1);
      let pre: tf.Tensor = tf.add(
        nw(tf.matMul(x, params.W as tf.Tensor2D), t, training),
        tf.mul(r, nu(tf.matMul(s.h, params.U as tf.Tensor2D), t, training)),
      );
      if (!layer) pre = tf.add(pre, params.b_n);
      const h = tf.add(tf.mul(tf.sub(1, z), s.h), tf.mul(z, tf.tanh(pre))) as tf.Tensor2D;
      return { h };
    },
  };
}

export function createCell(o: CellOptions): Cell {
  return o.config.cell === 'lstm' ? createLstm(o) : createGru(o);
}

/** The value of `next` where mask is 1, of `prev` where it is 0 (mask [batch, 1]). */
function keep(mask: tf.Tensor2D, next: tf.Tensor2D, prev: tf.Tensor2D): tf.Tensor2D {
  return tf.add(prev, tf.mul(mask, tf.sub(next, prev))) as tf.Tensor2D;
}

/**
 * Runs `cell` over `steps` steps of a batch of `batch` sequences (`input(t)` gives x_t [batch, inputs]).
 * With `lengths`, sequence b has lengths[b] real steps and padding after them: at a padded step its state is
 * left unchanged and it enters no batch statistics, so the returned state is each sequence's state after its
 * last real step. Steps past the longest sequence are not run.
 */
export function unroll(
  cell: Cell,
  input: (t: number) => tf.Tensor2D,
  steps: number,
  batch: number,
  training: boolean,
  lengths?: ArrayLike<number>,
): CellState {
  let s = cell.initial(batch);
  const longest = lengths ? Math.min(steps, Math.max(0, ...Array.from(lengths))) : steps;
  const advance = (t: number, prev: CellState): CellState => {
    const live = lengths ? Array.from(lengths, (len) => (len > t ? 1 : 0)) : undefined;
    const count = live ? live.reduce((a: number, b) => a + b, 0) : batch;
    if (!live || count === batch) return cell.step(input(t), prev, t, training);
    const mask = tf.tensor2d(live, [batch, 1]);
    const next = cell.step(input(t), prev, t, training, { mask, live: count });
    return next.c && prev.c
      ? { h: keep(mask, next.h, prev.h), c: keep(mask, next.c, prev.c) }
      : { h: keep(mask, next.h, prev.h) };
  };
  // Without a gradient to record (evaluation, batch norm's population pass) each step frees its intermediates:
  // a forward pass over thousands of sequences then holds two states per step, not every gate of every step.
  for (let t = 0; t < longest; t++) {
    const prev = s;
    s = tidyUnlessRecording(() => advance(t, prev) as unknown as tf.TensorContainer) as unknown as CellState;
  }
  return s;
}
