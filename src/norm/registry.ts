// The norm a model config asks for, built from its implementation (src/norm/<name>/index.ts, found by name).
import * as tf from '@tensorflow/tfjs';
import { moduleOf } from '../util/module';
import { implementationOf } from '../util/registry';
import { variableFrom } from '../util/variables';
import { normSpec, type NormSettings } from './catalog';
import type { NormImplementation, NormLayer, NormWeight, RecurrentNorm, StatisticsPass } from './types';

const BUILDERS = ['layer', 'recurrent', 'weight', 'statisticsPass'];

/** An object of builders only (a misspelt one would otherwise pass for a norm that builds nothing). */
const isImplementation = (x: unknown): x is NormImplementation =>
  typeof x === 'object' &&
  x !== null &&
  Object.entries(x).every(([k, v]) => BUILDERS.includes(k) && typeof v === 'function');

export const normImplementation = (settings: NormSettings): NormImplementation =>
  implementationOf(__dirname, 'norm', settings.norm, isImplementation);

/**
 * The builder of a norm's layers of one place (`layer`: feed-forward, `recurrent`: inside a cell), or undefined for
 * a norm that normalizes nothing (`none`). A norm that normalizes but has no builder there is an error, never a
 * silent identity: a model labelled with the norm would train without it.
 */
function builder<K extends 'layer' | 'recurrent'>(settings: NormSettings, place: K): NormImplementation[K] {
  const build = normImplementation(settings)[place];
  if (build || normSpec(settings.norm).identity) return build;
  const where = place === 'recurrent' ? ' (or its spec lists the cells it works in: cells)' : '';
  throw new Error(`norm ${settings.norm}: no ${place} builder in src/norm/${settings.norm}/index.ts${where}`);
}

/** The norm layer of one feed-forward layer (`name` e.g. `hidden1`), or undefined for a norm with none (`none`). */
export function buildNorm(
  settings: NormSettings,
  at: { name: string; units: number; positions?: number },
): NormLayer | undefined {
  const { name, units, positions } = at;
  return builder(settings, 'layer')?.({ name: `${name}/${settings.norm}`, units, positions, settings });
}

/** The norm a recurrent cell's config asks for on one of its terms (`name` e.g. `rnn/lstm/ln_h`), or undefined. */
export function buildRecurrentNorm(
  settings: NormSettings,
  at: { name: string; units: number; trainBias: boolean },
): RecurrentNorm | undefined {
  return builder(settings, 'recurrent')?.({ ...at, settings });
}

/** The pass after each epoch that a model's norm settings call for (batch norm's population statistics), if any. */
export function statisticsPassOf(settings: NormSettings): StatisticsPass | undefined {
  return normImplementation(settings).statisticsPass?.(settings);
}

/**
 * The weight a hidden layer or a cell multiplies by (`name` e.g. `hidden1/kernel`, its output units last in `shape`):
 * through its norm's weight builder where the norm normalizes weights (weight norm), else one plain variable whose
 * value is itself. A norm that declares weightParameters without a builder is refused, as a silent identity would be.
 */
export function buildWeight<R extends tf.Rank>(
  settings: NormSettings,
  at: { name: string; shape: number[]; values: Float32Array },
): NormWeight<R> {
  if (normSpec(settings.norm).weightParameters) {
    const implementation = normImplementation(settings);
    if (!implementation.weight)
      throw new Error(`norm ${settings.norm}: no weight builder in src/norm/${settings.norm}/index.ts`);
    return implementation.weight<R>({ ...at, settings });
  }
  const v = variableFrom(at.name, () => tf.tensor(at.values, at.shape as tf.ShapeMap[R]));
  return { ...moduleOf([v]), v, value: () => v };
}
