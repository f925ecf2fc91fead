// model.kind handwriting: Graves' (2013, section 4) handwriting prediction network, as the paper's section 6.5 trains
// it: a stack of LSTMs reading pen offsets (dx, dy, pen-up), with skip connections from the input to every layer and
// from every layer to the output, and a mixture-density output (`mixtures` bivariate Gaussians over the next offset
// and a Bernoulli over its pen-up). `norm: layer` makes every LSTM an LN-LSTM (the paper's Fig. 5). `sampleBias` is
// Graves' section 5.4 bias of the samples the report draws (0: the model's own distribution).
import { z } from 'zod';
import { normFields, PER_EXAMPLE_NORMS } from '../../norm/catalog';
import { finite, positiveInt } from '../../util/fields';
import { cellGain, recurrentFields } from '../cells/spec';
import type { ModelSpec } from '../spec';

export const handwritingSchema = z
  .object({
    kind: z.literal('handwriting'),
    /** Units of each LSTM layer, bottom first (Graves: three of 400). */
    hidden: z.array(positiveInt).min(1).default([400, 400, 400]),
    /** Bivariate Gaussians of the output mixture (Graves: 20). */
    mixtures: positiveInt.default(20),
    /** Graves' sampling bias b (section 5.4): sigma exp(-b), mixture weights softmax((1 + b) logits); 0: unbiased. */
    sampleBias: finite().nonnegative().default(0),
    ...recurrentFields,
    // Layer norm normalizes per sequence and step; batch norm over padded strokes of different lengths is not offered.
    ...normFields(PER_EXAMPLE_NORMS),
    gainInit: finite().optional(),
  })
  .strict();

export type HandwritingConfig = z.infer<typeof handwritingSchema> & { gainInit: number };

export const handwriting = {
  kind: 'handwriting',
  schema: handwritingSchema,
  task: 'handwriting',
  views: ['strokes'],
  tiny: [{ hidden: [8, 8], mixtures: 3 }],
  resolve: (model: z.infer<typeof handwritingSchema>): HandwritingConfig => ({ ...model, gainInit: cellGain(model) }),
} satisfies ModelSpec;
