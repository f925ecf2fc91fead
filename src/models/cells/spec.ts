// What a recurrent cell kind declares without tfjs: its name, its parameter count, and the keys every recurrent
// model shares (the forget gate's initial bias, the initial state's scale).
import { NORMS } from '../../norm/catalog';
import { NORM_DEFAULTS, type NormSpec } from '../../norm/spec';
import { finite } from '../../util/fields';

export interface CellSpec {
  /** model.cell's value. */
  readonly name: string;
  /** Trained values of a cell of `hidden` units over `inputs` inputs with the norm `norm`. */
  parameters(inputs: number, hidden: number, norm: NormSpec): number;
  /**
   * Values one step keeps per example for the backward pass: its input and every product, norm output, gate and
   * state of the step (counted on the cpu backend: test/limits.test.ts).
   */
  stepUnits(inputs: number, hidden: number): number;
}

/** Half-width of the uniform distribution of a recurrent h_0's entries (src/models/cells/parts.ts says why not 0). */
export const H0_SCALE = 0.1;

export const recurrentFields = {
  /** Initial bias of the LSTM forget gate (1 keeps the cell's memory at the start of training). */
  forgetBias: finite().default(1),
  /** h_0's entries are uniform in [-h0Scale, h0Scale], fixed per seed, not trained (0: h_0 = 0). */
  h0Scale: finite().nonnegative().default(H0_SCALE),
};

/** A recurrent model's norm gain: model.gainInit, else its norm's default inside a cell. */
export function cellGain(model: { norm: keyof typeof NORMS; gainInit?: number }): number {
  return model.gainInit ?? (NORMS[model.norm] as NormSpec).cellGainInit ?? NORM_DEFAULTS.gainInit;
}
