// norm: batch: batch normalization (Ioffe & Szegedy 2015), per unit over the batch; its evaluation statistics and
// their keys (model.bnStats, bnStatsBatch, bnMomentum) are its own.
import { z } from 'zod';
import { finite, positiveInt } from '../../util/fields';
import type { NormSpec } from '../spec';

/** What batch norm evaluates with: population statistics (Ioffe & Szegedy's inference rule) or running averages. */
export const BN_STATISTICS = ['population', 'running'] as const;
export type BnStatistics = (typeof BN_STATISTICS)[number];

/** The Keras convention for running averages' momentum. */
export const BN_MOMENTUM = 0.9;

const fields = {
  /**
   * What batch norm evaluates with. `population`: after each epoch, one training-mode pass over the training
   * set with the current weights averages the mini-batch means and unbiased variances (Ioffe & Szegedy's
   * inference rule); `running`: exponential running averages updated at every training step with bnMomentum.
   */
  bnStats: z.enum(BN_STATISTICS).default('population'),
  /**
   * Examples per batch of the population pass (the last may be smaller): large, so that each batch's statistics
   * are those of the whole population, as in Cooijmans et al.'s evaluation (5000); train.batchSize gives Ioffe &
   * Szegedy's Algorithm 2 literally.
   */
  bnStatsBatch: positiveInt.min(2).default(5000),
  /** Batch norm running averages (bnStats running): running = momentum * running + (1 - momentum) * batch. */
  bnMomentum: finite().min(0).max(1).default(BN_MOMENTUM),
};

const ownKeys = z.object(fields);

/** Batch norm's own keys, parsed. */
export type BatchNormSettings = z.infer<typeof ownKeys>;

/**
 * Batch norm's own keys of a model's norm settings, checked as the schema checks them (a caller that builds settings
 * by hand and leaves one out gets the schema's default, never an undefined).
 */
export const batchSettings = (settings: object): BatchNormSettings => ownKeys.parse(settings);

export const batch = {
  name: 'batch',
  label: 'batch norm',
  abbreviation: 'bn',
  colour: '#d1492e',
  fields,
  batchStatistics: true,
  cells: { names: ['lstm'], reason: 'batch norm is implemented for the LSTM cell only (BN-LSTM, Cooijmans et al.)' },
  // Cooijmans et al.: gamma 1 saturates tanh.
  cellGainInit: 0.1,
  parameters: (units, trainBias) => (trainBias ? 2 : 1) * units,
} satisfies NormSpec;
