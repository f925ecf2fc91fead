// The train section of a config (zod, no tfjs): optimizer, step size, batches, epochs, seed, clipping, Adam's
// constants. Its defaults live here only.
import { z } from 'zod';
import { finite, positiveInt, seedField } from '../util/fields';

/** Adam's step size and constants (Kingma & Ba 2015). */
export const ADAM_DEFAULTS = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

const OPTIMIZERS = ['adam'] as const;

export const trainSchema = z
  .object({
    optimizer: z.enum(OPTIMIZERS).default('adam'),
    learningRate: finite().positive().default(ADAM_DEFAULTS.learningRate),
    batchSize: positiveInt.default(128),
    epochs: positiveInt.default(10),
    /** Seeds weight initialization and the per-epoch shuffles. */
    seed: seedField.default(1),
    /**
     * A metrics row (evaluation, and batch norm's population pass first) after every this many updates as well as
     * at each epoch's end, for learning curves of more than one point per epoch. Unset: at each epoch's end only.
     */
    evalEvery: positiveInt.optional(),
    /**
     * Rows at this many evenly spaced points of each epoch (its end one of them): for sweeps over the batch size,
     * where a number of updates would space the rows differently per batch size. Unset: none. May join evalEvery.
     */
    evalsPerEpoch: positiveInt.optional(),
    /** Rescale the gradients when their global L2 norm exceeds this (Vendrov et al.: 2). Unset: no clipping. */
    clipNorm: finite().positive().optional(),
    /** Adam's decay rates of the first and second moment estimates, and the epsilon added to sqrt(v). */
    adamBeta1: finite().min(0).lt(1).default(ADAM_DEFAULTS.beta1),
    adamBeta2: finite().min(0).lt(1).default(ADAM_DEFAULTS.beta2),
    adamEpsilon: finite().positive().default(ADAM_DEFAULTS.epsilon),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainSchema>;
