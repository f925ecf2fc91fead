// Every norm, by model.norm: one line each (a norm is a folder src/norm/<name>/: spec.ts, which imports no tfjs, and
// index.ts, its layers, found by that name: src/norm/registry.ts). The config schema and the report read this file.
import { z } from 'zod';
import { finite } from '../util/fields';
import { batch } from './batch/spec';
import { group } from './group/spec';
import { layer } from './layer/spec';
import { none } from './none/spec';
import { rms } from './rms/spec';
import { weight } from './weight/spec';
import { NORM_DEFAULTS, type NormSpec } from './spec';

export const NORMS = { none, layer, batch, rms, group, weight } as const satisfies Record<string, NormSpec>;
export type NormKind = keyof typeof NORMS;
export const NORM_KINDS = Object.keys(NORMS) as [NormKind, ...NormKind[]];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The own config keys of the norms K, with their types (batch norm's bnStats, ...). */
type OwnFields<K extends NormKind> = UnionToIntersection<
  K extends NormKind ? ((typeof NORMS)[K] extends { fields: infer F extends z.ZodRawShape } ? F : object) : never
>;

/**
 * The norm keys of a model kind that takes the norms `kinds` (all by default): model.norm, the settings every norm
 * shares, then each of those norms' own keys.
 */
export function normFields<K extends NormKind = NormKind>(
  kinds: readonly [K, ...K[]] = NORM_KINDS as [K, ...K[]],
): ReturnType<typeof sharedFields<K>> & OwnFields<K> {
  const own = Object.assign({}, ...kinds.map((k) => (NORMS[k] as NormSpec).fields ?? {})) as OwnFields<K>;
  return Object.assign(sharedFields(kinds), own);
}

/** The keys every norm shares. */
function sharedFields<K extends NormKind>(kinds: readonly [K, ...K[]]) {
  return {
    /** Normalization of every hidden layer's summed inputs (never the softmax layer). */
    norm: z.enum(kinds).default(kinds[0]),
    /** Added to the variance (RMSNorm: the mean square) inside the square root. Authors' code: 1e-5. */
    epsilon: finite().positive().default(NORM_DEFAULTS.epsilon),
    /** Initial value of the per-unit gain g (paper: 1). */
    gainInit: finite().default(NORM_DEFAULTS.gainInit),
    /** Initial value of the per-unit bias b of the norm (paper: 0). */
    biasInit: finite().default(NORM_DEFAULTS.biasInit),
  };
}

/** The norm settings a model config carries (the norm's own keys among them, read by that norm's layers). */
export interface NormSettings {
  readonly norm: NormKind;
  readonly epsilon: number;
  readonly gainInit: number;
  readonly biasInit: number;
}

/**
 * The norms of every recurrent model: all but group norm, which normalizes feed-forward layers' channels, and weight
 * norm, which only the models whose every hidden weight is made through the norm take (rnn: RNN_NORMS).
 */
export const RECURRENT_NORMS = ['none', 'layer', 'batch', 'rms'] as const satisfies readonly NormKind[];
/**
 * The norms of model.kind rnn: those of every recurrent model and weight norm, on each of its cell's weights (its one
 * other layer, the softmax layer, is never normalized).
 */
export const RNN_NORMS = [...RECURRENT_NORMS, 'weight'] as const satisfies readonly NormKind[];
/** The norms of the recurrent models that normalize per example only (no batch norm). */
export const PER_EXAMPLE_NORMS = ['none', 'layer', 'rms'] as const satisfies readonly NormKind[];

export const normSpec = (kind: NormKind): NormSpec => NORMS[kind];
