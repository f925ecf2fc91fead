// A cell run over the steps of a batch of sequences, of equal or of different lengths.
import * as tf from '@tensorflow/tfjs';
import { recordingGradients, tidyUnlessRecording } from '../../backend/gradients';
import { commonGradient, fusedSequence } from './fused';
import type { Cell, CellState } from './types';

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
  common?: tf.Tensor1D,
  each?: (s: CellState, t: number) => void,
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
    const prev = common && t > 0 ? commonState(s, tf.slice(common, [t], [1])) : s; // h0, c0: constants
    s = tidyUnlessRecording(() => advance(t, prev) as unknown as tf.TensorContainer) as unknown as CellState;
    each?.(s, t);
  }
  return s;
}

/**
 * Op by op, what the fused sequence's commonGradient does (src/models/cells/fused.ts says why): the state unchanged,
 * its gradient replaced by the batch mean of its rows where `common` ([1] bool) is true.
 */
function commonState(s: CellState, common: tf.Tensor): CellState {
  // The flag is saved (kept for the backward pass): the forward pass's other tensors are freed before it.
  const mean = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([common]);
    return {
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor, [flag]: tf.Tensor[]) => tf.where(flag, commonGradient(dy), dy),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return s.c ? { h: mean(s.h), c: mean(s.c) } : { h: mean(s.h) };
}

/**
 * [steps] bool on the device: at t, whether the state before step t is the same in every sequence, as it is while
 * every sequence has had the same inputs (x_0 .. x_{t-1} bit-identical across the batch, all sequences live).
 */
function commonFlags(xs: tf.Tensor2D, batch: number, lengths?: ArrayLike<number>): tf.Tensor1D {
  const x = tf.reshape(xs, [-1, batch, xs.shape[1]]);
  const same = tf.cast(tf.all(tf.equal(x, tf.slice(x, [0, 0, 0], [-1, 1, -1])), [1, 2]), 'float32');
  const live = Float32Array.from({ length: x.shape[0] }, (_, t) =>
    !lengths || Array.from(lengths).every((n) => n > t) ? 1 : 0,
  );
  const breaks = tf.sub(1, tf.mul(same, tf.tensor1d(live))); // 1 at a step after which the states may differ
  return tf.equal(tf.cumsum(breaks, 0, true), 0); // no break before step t
}

/**
 * Runs `cell` over a batch of sequences known in advance: xs [steps * batch, inputs], step-major (rows t * batch ..
 * t * batch + batch - 1 are x_t), `lengths` as for unroll. Takes the fused whole-sequence path where the cell has one
 * (src/models/cells/fused.ts: the input product for all steps at once, one product and one kernel per step), else
 * unroll's step by step. Returns the state after each sequence's last real step.
 */
export function runSequence(
  cell: Cell,
  xs: tf.Tensor2D,
  steps: number,
  batch: number,
  training: boolean,
  lengths?: ArrayLike<number>,
): CellState {
  const longest = lengths ? Math.min(steps, Math.max(0, ...Array.from(lengths))) : steps;
  const fused = cell.fused(training);
  if (fused && longest > 0) {
    const run = longest < steps ? (tf.slice(xs, [0, 0], [longest * batch, -1]) as tf.Tensor2D) : xs;
    return fusedSequence(fused, run, { steps: longest, batch }, lengths).last;
  }
  return unrollSplit(cell, xs, steps, batch, training, lengths);
}

/** unroll over xs [steps * batch, inputs] (step-major), with the common-state flags batch statistics need. */
function unrollSplit(
  cell: Cell,
  xs: tf.Tensor2D,
  steps: number,
  batch: number,
  training: boolean,
  lengths?: ArrayLike<number>,
  each?: (s: CellState, t: number) => void,
): CellState {
  // One split, not a slice a step: a slice's gradient is its input's size, steps of them O(steps^2) values.
  const parts = tf.split(xs, steps, 0) as tf.Tensor2D[];
  const input = (t: number) => parts[t];
  const common = training && cell.batchStatistics && recordingGradients();
  const flags = common ? commonFlags(xs, batch, lengths) : undefined;
  return unroll(cell, input, steps, batch, training, lengths, flags, each);
}

/**
 * Every step's h [steps * batch, H] of `cell` over xs [steps * batch, inputs] (both step-major). Without `lengths`
 * every sequence runs for all `steps` (a model that pads sequences masks its loss; the norms it takes keep rows
 * apart); with them, as for runSequence: a sequence's state stays unchanged over its padding (its h there repeats
 * its last real step's), and padding enters no batch statistic. Takes the fused whole-sequence path where the cell
 * has one, else the cell's steps one by one.
 */
export function runSequenceSteps(
  cell: Cell,
  xs: tf.Tensor2D,
  steps: number,
  batch: number,
  training: boolean,
  lengths?: ArrayLike<number>,
): tf.Tensor2D {
  if (cell.batchStatistics && !lengths)
    throw new Error('runSequenceSteps: a cell with batch statistics needs the sequences masked');
  const fused = cell.fused(training);
  if (fused) return fusedSequence(fused, xs, { steps, batch, allSteps: true }, lengths).hs!;
  if (lengths) {
    const hs: tf.Tensor2D[] = [];
    const last = unrollSplit(cell, xs, steps, batch, training, lengths, (s) => hs.push(s.h));
    while (hs.length < steps) hs.push(last.h); // steps past the longest sequence are not run
    return tf.concat(hs, 0);
  }
  let s = cell.initial(batch);
  const hs: tf.Tensor2D[] = [];
  // One split, not a slice a step: a slice's gradient is its input's size, steps of them O(steps^2) values.
  const x = tf.split(xs, steps, 0) as tf.Tensor2D[];
  // Without a gradient to record, each step frees its intermediates and the previous c (its h is kept for hs).
  for (let t = 0; t < steps; t++) {
    const prev = s;
    s = tidyUnlessRecording(() => cell.step(x[t], prev, t, training) as never) as unknown as CellState;
    if (!recordingGradients() && t > 0 && prev.c) prev.c.dispose();
    hs.push(s.h);
  }
  return tf.concat(hs, 0);
}
