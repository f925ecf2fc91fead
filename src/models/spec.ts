// What a model kind declares about itself without tfjs, for the config schema: its keys (a strict zod object whose
// `kind` is its name), the task that trains it, the data views it reads, and defaults that depend on other keys.
import type { z } from 'zod';

export interface ModelSpec {
  readonly kind: string;
  /** model.*: every key with its default (a strict object with `kind: z.literal(<kind>)`). */
  readonly schema: z.AnyZodObject;
  /** The task that trains it (a name in src/tasks/catalog.ts). */
  readonly task: string;
  /** The data views it reads (data.view). */
  readonly views: readonly string[];
  /**
   * Small configs of this kind (model keys besides `kind` and `norm`) that together take each of its code paths:
   * the tests build them with every norm (and cell) the kind takes, e.g. to measure its memory estimate.
   */
  readonly tiny: readonly Record<string, unknown>[];
  /** The channels (units) of each normalized feed-forward layer, for the norms that split them (group norm). */
  normalizedWidths?(model: never): readonly number[];
  /**
   * Its normalized layers have one position (an MLP's units), not a feature map: a group of one unit would normalize
   * it to its bias (variance 0), so group norm needs at least 2 units a group.
   */
  readonly unitsOnly?: boolean;
  /** The parsed config with the defaults that depend on other keys (a recurrent norm's gain, a loss's margin). */
  resolve?(model: never): object;
}

/** Hidden-layer nonlinearities (model.activation). */
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
