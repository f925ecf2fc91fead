// Normalization layers by config name; typed over NORM_KINDS so the schema and the registry cannot drift.
import type { MlpConfig, NormKind } from '../config/schema';
import { createBatchNorm } from './batch-norm';
import { createLayerNorm } from './layer-norm';
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
