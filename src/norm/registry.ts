// Normalization layers by config name; typed over NORM_KINDS so the schema and the registry cannot drift.
import type { NormKind } from '../config/schema';
import { createBatchNorm } from './batch-norm';
import { createLayerNorm } from './layer-norm';
import type { NormLayer, NormOptions } from './types';

/** `none` builds nothing: the dense layer keeps its own bias instead. */
export const NORMS: Record<NormKind, ((opts: NormOptions) => NormLayer) | null> = {
  none: null,
  layer: createLayerNorm,
  batch: createBatchNorm,
};
