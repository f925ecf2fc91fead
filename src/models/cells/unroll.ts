// A cell run over the steps of a batch of sequences, of equal or of different lengths.
import * as tf from '@tensorflow/tfjs';
import { tidyUnlessRecording } from '../../backend/gradients';
import { fusedSequence } from './fused';
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
  const input = (t: number) => tf.slice(xs, [t * batch, 0], [batch, -1]) as tf.Tensor2D;
  return unroll(cell, input, steps, batch, training, lengths);
}
