// model.kind conv: a small convnet (paper section 6.7): per entry of `channels`, conv (kernelSize, stride 1, same
// padding) -> norm -> activation -> 2x2 max pool; then dense -> softmax. Layer norm: per example over (height,
// width, channels) with a per-channel gain and bias; batch norm: per channel over (batch, height, width).
import { z } from 'zod';
import { normFields } from '../../norm/catalog';
import { positiveInt } from '../../util/fields';
import { ACTIVATIONS, type ModelSpec } from '../spec';

export const convSchema = z
  .object({
    kind: z.literal('conv'),
    channels: z.array(positiveInt).min(1).max(4).default([16, 32]),
    kernelSize: positiveInt.default(5),
    activation: z.enum(ACTIVATIONS).default('relu'),
    ...normFields(),
  })
  .strict();

export type ConvConfig = z.infer<typeof convSchema>;

export const conv = {
  kind: 'conv',
  schema: convSchema,
  task: 'classification',
  views: ['image'],
  tiny: [{ channels: [4, 6], kernelSize: 3, groups: 2 }],
  normalizedWidths: (model: ConvConfig) => model.channels,
} satisfies ModelSpec;
