// Normalization layers by config name, for feed-forward layers and inside recurrences; typed over NORM_KINDS so
// the schema and the registry cannot drift.
import type * as tf from '@tensorflow/tfjs';
import type { MlpConfig, NormKind } from '../config/schema';
import { createBatchNorm } from './batch-norm';
import { createLayerNorm } from './layer-norm';
import { RecurrentBatchNorm, type StepMask } from './recurrent-batch-norm';
import type { NormLayer, NormOptions } from './types';

/** `none` builds nothing: the layer keeps its own bias instead. */
export const NORMS: Record<NormKind, ((opts: NormOptions) => NormLayer) | null> = {
  none: null,
  layer: createLayerNorm,
  batch: createBatchNorm,
};

/** The normalization keys every model kind shares. */
export type NormSettings = Pick<MlpConfig, 'norm' | 'epsilon' | 'gainInit' | 'biasInit' | 'bnStats' | 'bnMomentum'>;

/** The norm layer a model config asks for at one layer, or undefined for `norm: none`. */
export function buildNorm(
  settings: NormSettings,
  at: { name: string; units: number; positions?: number },
): NormLayer | undefined {
  return NORMS[settings.norm]?.({
    name: `${at.name}/${settings.norm}`,
    units: at.units,
    positions: at.positions,
    epsilon: settings.epsilon,
    gainInit: settings.gainInit,
    biasInit: settings.biasInit,
    statistics: settings.bnStats,
    momentum: settings.bnMomentum,
  });
}

/** A norm applied at every step of a recurrence, with one gain and bias shared over time. */
export interface RecurrentNorm {
  /** Gain, then bias when it is trained. */
  readonly trainable: tf.Variable[];
  /** Non-trained state (batch norm's per-step statistics, which grow as longer sequences are seen). */
  readonly state: () => tf.Variable[];
  /** x [batch, units] at step t (0-based); `mask` keeps a variable-length batch's padded rows out of statistics. */
  apply(x: tf.Tensor2D, t: number, training: boolean, mask?: StepMask): tf.Tensor2D;
}

/** `trainBias` concerns batch norm only: layer norm's bias is always trained. */
type RecurrentNormOptions = Omit<NormOptions, 'positions'> & { trainBias: boolean };

/**
 * Layer norm recomputes its statistics at every step (t plays no part); batch norm keeps them per step
 * (Cooijmans et al.), its bias fixed at zero unless `trainBias` (the LSTM's own bias carries the shift).
 */
const RECURRENT_NORMS: Record<NormKind, ((opts: RecurrentNormOptions) => RecurrentNorm) | null> = {
  none: null,
  layer: (opts) => {
    const ln = createLayerNorm(opts);
    return { trainable: ln.trainable, state: () => [], apply: (x, _t, training) => ln.apply(x, training) };
  },
  batch: (opts) => {
    const bn = new RecurrentBatchNorm(opts);
    return {
      trainable: bn.trainable,
      state: () => bn.state,
      apply: (x, t, training, mask) => bn.apply(x, t, training, mask),
    };
  },
};

/** The norm a recurrent cell's config asks for on one of its terms (`name` e.g. `rnn/lstm/ln_h`), or undefined. */
export function buildRecurrentNorm(
  settings: NormSettings,
  at: { name: string; units: number; trainBias: boolean },
): RecurrentNorm | undefined {
  return RECURRENT_NORMS[settings.norm]?.({
    name: at.name,
    units: at.units,
    trainBias: at.trainBias,
    epsilon: settings.epsilon,
    gainInit: settings.gainInit,
    biasInit: settings.biasInit,
    statistics: settings.bnStats,
    momentum: settings.bnMomentum,
  });
}
