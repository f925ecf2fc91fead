// The norm a model config asks for, built from its implementation (src/norm/<name>/index.ts, found by name).
import { implementationOf } from '../util/registry';
import type { NormSettings } from './catalog';
import type { NormImplementation, NormLayer, RecurrentNorm, StatisticsPass } from './types';

const isImplementation = (x: unknown): x is NormImplementation => typeof x === 'object' && x !== null;

export const normImplementation = (settings: NormSettings): NormImplementation =>
  implementationOf(__dirname, 'norm', settings.norm, isImplementation);

/** The norm layer of one feed-forward layer (`name` e.g. `hidden1`), or undefined for a norm with none (`none`). */
export function buildNorm(
  settings: NormSettings,
  at: { name: string; units: number; positions?: number },
): NormLayer | undefined {
  const { name, units, positions } = at;
  return normImplementation(settings).layer?.({ name: `${name}/${settings.norm}`, units, positions, settings });
}

/** The norm a recurrent cell's config asks for on one of its terms (`name` e.g. `rnn/lstm/ln_h`), or undefined. */
export function buildRecurrentNorm(
  settings: NormSettings,
  at: { name: string; units: number; trainBias: boolean },
): RecurrentNorm | undefined {
  return normImplementation(settings).recurrent?.({ ...at, settings });
}

/** The pass after each epoch that a model's norm settings call for (batch norm's population statistics), if any. */
export function statisticsPassOf(settings: NormSettings): StatisticsPass | undefined {
  return normImplementation(settings).statisticsPass?.(settings);
}
