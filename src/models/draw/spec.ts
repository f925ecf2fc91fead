// model.kind draw: DRAW (Gregor et al. 2015; the paper's section 6.4): encoder and decoder LSTMs (layer-normalized
// with `norm: layer`, statistics per step) draw a binarized digit on a canvas over `glimpses` steps; scored by the
// variational bound. `attention: gaussian` reads and writes through N x N Gaussian filterbanks (readSize,
// writeSize); `none` reads the whole image and its error image and writes a linear map of the decoder state.
import { z } from 'zod';
import { normFields, PER_EXAMPLE_NORMS } from '../../norm/catalog';
import { positiveInt } from '../../util/fields';
import { recurrentFields } from '../cells/spec';
import type { ModelSpec } from '../spec';

/** model.evalSamples' upper bound: 1,000 passes over the test set per epoch (10,000 digits: hours on a CPU). */
export const MAX_EVAL_SAMPLES = 1000;

export const drawSchema = z
  .object({
    kind: z.literal('draw'),
    /** Units of each LSTM (Gregor et al.'s MNIST model: 256). */
    hidden: positiveInt.default(256),
    /** Dimensions of z_t (Gregor et al.: 100). */
    latent: positiveInt.default(100),
    /** Steps T (Gregor et al.: 64). */
    glimpses: positiveInt.default(64),
    attention: z.enum(['none', 'gaussian']).default('gaussian'),
    /** Read and write grid sizes N with Gaussian attention (Gregor et al.: 2 and 5). */
    readSize: positiveInt.min(2).max(28).default(2),
    writeSize: positiveInt.min(2).max(28).default(5),
    /**
     * Draws of z per test example whose bounds are averaged in test_bound (a fixed evaluation seed); at most
     * MAX_EVAL_SAMPLES (each is a full pass over the test set).
     */
    evalSamples: positiveInt.max(MAX_EVAL_SAMPLES).default(1),
    ...recurrentFields,
    // DRAW's LSTMs normalize per example only: batch norm is not among its norms.
    ...normFields(PER_EXAMPLE_NORMS),
  })
  .strict();

export type DrawConfig = z.infer<typeof drawSchema>;

export const draw = {
  kind: 'draw',
  schema: drawSchema,
  task: 'draw',
  views: ['binary'],
  tiny: [
    { hidden: 16, latent: 4, glimpses: 3 },
    { hidden: 16, latent: 4, glimpses: 3, attention: 'none' },
  ],
} satisfies ModelSpec;
