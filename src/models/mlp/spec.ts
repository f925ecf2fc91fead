// model.kind mlp: the permutation-invariant MNIST MLP of the paper's section 6.6 (dense -> norm -> activation per
// hidden layer, then dense -> softmax).
import { z } from 'zod';
import { normFields } from '../../norm/catalog';
import { positiveInt } from '../../util/fields';
import { ACTIVATIONS, type ModelSpec } from '../spec';

export const mlpSchema = z
  .object({
    kind: z.literal('mlp'),
    /** Widths of the hidden layers. */
    hidden: z.array(positiveInt).min(1).default([1000, 1000]),
    activation: z.enum(ACTIVATIONS).default('relu'),
    ...normFields(),
  })
  .strict();

export type MlpConfig = z.infer<typeof mlpSchema>;

export const mlp = {
  kind: 'mlp',
  schema: mlpSchema,
  task: 'classification',
  views: ['flat'],
  tiny: [{ hidden: [64, 32], groups: 8 }],
  normalizedWidths: (model: MlpConfig) => model.hidden,
  unitsOnly: true,
} satisfies ModelSpec;
