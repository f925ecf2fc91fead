// What a recurrent cell is to the models that unroll it: a Module with an initial state and one step.
import type * as tf from '@tensorflow/tfjs';
import type { NormSettings } from '../../norm/catalog';
import type { StepMask } from '../../norm/types';
import type { Rng } from '../../data/rng';
import type { Module } from '../../util/module';
import type { CellKind } from './catalog';
import type { FusedCell } from './fused';

export interface CellState {
  h: tf.Tensor2D; // [batch, hidden]
  c?: tf.Tensor2D; // [batch, hidden], LSTM only
}

export interface Cell extends Module {
  /** [hidden] the initial hidden state, the same for every sequence. */
  readonly h0: Float32Array;
  /** Trained parameters by role (e.g. `W_x`, `ln_h/gain`): tests map them onto a float64 reference. */
  readonly params: Record<string, tf.Variable>;
  /**
   * One step: x_t [batch, inputs] at step t (0-based). `mask` (variable-length batches) keeps padded rows out
   * of batch statistics; leaving their state unchanged is `unroll`'s job.
   */
  step(x: tf.Tensor2D, s: CellState, t: number, training: boolean, mask?: StepMask): CellState;
  initial(batch: number): CellState;
  /** True when a term's norm takes its statistics over the batch (batch norm): then the rows of a batch interact. */
  readonly batchStatistics: boolean;
  /**
   * The cell as the fused kernels compute it (src/models/cells/fused.ts), or undefined where the backend lacks them
   * (fast paths off, LN_REPRO_FUSED_CELLS=0, native TensorFlow) or the norm cannot be fused in this mode.
   */
  fused(training: boolean): FusedCell | undefined;
}

/** The config keys a cell reads: its kind, size, forget bias, initial state and norm settings. */
export interface CellConfig extends NormSettings {
  readonly cell: CellKind;
  readonly hidden: number;
  readonly forgetBias: number;
  readonly h0Scale: number;
}

export interface CellOptions {
  config: CellConfig;
  inputs: number;
  rng: Rng;
  name: string;
  /** Seeds h_0 (train.seed); its own stream, so the weights do not depend on it. */
  seed?: number;
}
