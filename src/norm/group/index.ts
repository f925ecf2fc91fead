// Group normalization (Wu & He 2018): per example over each group of a layer's channels at all its positions, a gain
// and a bias per channel; the same at train and test time. Feed-forward layers only (the spec refuses cells).
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../../util/variables';
import { moduleOf } from '../../util/module';
import { groupNormalize } from '../group-normalize';
import type { NormImplementation, NormLayer, NormOptions } from '../types';
import { GN_GROUPS, groupsFor } from './spec';

export function createGroupNorm({ name, units, settings }: NormOptions): NormLayer {
  const own = settings as typeof settings & { groups?: number };
  const groups = groupsFor(own.groups ?? GN_GROUPS, units);
  if (units % groups !== 0)
    throw new Error(`model.groups: ${groups} groups do not divide the ${units} channels of ${name}`);
  const gain = variableFrom(`${name}/gain`, () => tf.fill<tf.Rank.R1>([units], settings.gainInit));
  const bias = variableFrom(`${name}/bias`, () => tf.fill<tf.Rank.R1>([units], settings.biasInit));
  return {
    ...moduleOf([gain, bias]),
    apply: (x) => groupNormalize({ x, gain, bias, groups, epsilon: settings.epsilon }),
  };
}

export const implementation: NormImplementation = { layer: createGroupNorm };
