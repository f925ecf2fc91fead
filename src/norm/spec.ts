// What a norm declares about itself without tfjs, for the config schema and the report: its name and legend, its
// own config keys, and the facts other parts ask of it (batch statistics, recurrent cells, parameter counts).
import type { z } from 'zod';

export interface NormSpec {
  /** model.norm's value. */
  readonly name: string;
  /** Legend text and colour in every figure of the report. */
  readonly label: string;
  readonly colour: string;
  /** The prefix of its parameters' roles inside a cell (`ln` gives `ln_h/gain`); empty for a norm with none. */
  readonly abbreviation: string;
  /**
   * Normalizes no activations, so builds no layer: each dense or conv layer and each cell keeps its own bias (`none`,
   * and `weight`, which normalizes the weights instead: weightParameters).
   */
  readonly identity?: boolean;
  /**
   * A norm of the weights a layer multiplies by (weight norm): the trained values it adds to one weight of `units`
   * output units (a dense kernel's columns, a conv filter's output channels), beside the weight's own. A norm that
   * declares it builds each normalized weight with its implementation's `weight` (norm/registry.ts refuses one
   * without).
   */
  readonly weightParameters?: (units: number) => number;
  /** Config keys of this norm alone (batch norm's evaluation statistics), added to every model kind that takes it. */
  readonly fields?: z.ZodRawShape;
  /**
   * Normalizes with statistics over the batch: a batch of one has variance 0 (training maps every unit to its
   * bias), so configs must give at least two examples per batch.
   */
  readonly batchStatistics?: boolean;
  /** The recurrent cells it is implemented for, when not all, and the reason given to a config that asks for another. */
  readonly cells?: { readonly names: readonly string[]; readonly reason: string };
  /** Its gain's default inside a recurrent cell, when not model.gainInit's (batch norm: 0.1). */
  readonly cellGainInit?: number;
  /**
   * Trained values of one normalized term of `units` units (a gain and a bias per unit: 2 units); `trainBias`
   * false where a cell keeps the term's bias fixed (batch norm's gate terms, Cooijmans et al.). 0 for a norm that
   * normalizes no activations.
   */
  parameters(units: number, trainBias: boolean): number;
}

/** Trained values `norm` adds to one weight of `units` output units (weight norm's gains; 0 for the other norms). */
export const weightParameters = (norm: NormSpec, units: number): number => norm.weightParameters?.(units) ?? 0;

/**
 * Trained values of a hidden dense or conv layer of `units` units beside its weight's own: its bias, or its norm's
 * gain and bias in the bias's place; and its weight's norm (weight norm: a gain per unit, the layer keeping its bias).
 */
export const layerParameters = (norm: NormSpec, units: number): number =>
  (norm.identity ? units : norm.parameters(units, true)) + weightParameters(norm, units);

/** Norm settings every model shares: the authors' epsilon (inside the square root), gain 1 and bias 0 (section 6). */
export const NORM_DEFAULTS = { epsilon: 1e-5, gainInit: 1, biasInit: 0 } as const;
