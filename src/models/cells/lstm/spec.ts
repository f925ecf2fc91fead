// cell: lstm: an LSTM (gates f, i, o, g); normalized on W_h h, W_x x and the cell state (LN-LSTM, BN-LSTM), or on
// the weights W_x and W_h (weight norm).
import { weightParameters } from '../../../norm/spec';
import type { CellSpec } from '../spec';

export const lstm = {
  name: 'lstm',
  // W_x, W_h and b to four gates; the norms of the two gate terms (bias held at zero: b carries it) and of c; or
  // the norms of W_x and W_h.
  parameters: (inputs, H, norm) =>
    (inputs + H) * 4 * H +
    4 * H +
    2 * norm.parameters(4 * H, false) +
    norm.parameters(H, true) +
    2 * weightParameters(norm, 4 * H),
  // Two products of 4H, their norms, sum and bias, the gates, c, its norm, tanh and h: 16H measured, 18H allowed.
  stepUnits: (inputs, H) => inputs + 18 * H,
} satisfies CellSpec;
