// cell: gru: a GRU (update and reset gates, a candidate); normalized on each of its four products (LN-GRU), or on
// each of its four weights (weight norm).
import { weightParameters } from '../../../norm/spec';
import type { CellSpec } from '../spec';

export const gru = {
  name: 'gru',
  // W_x, W_h to (z, r), W, U to the candidate; the four products' norms, whose biases replace b_zr and b_n; or the
  // four weights' norms.
  parameters: (inputs, H, norm) =>
    (inputs + H) * 3 * H +
    (norm.identity ? 3 * H : 2 * norm.parameters(2 * H, true) + 2 * norm.parameters(H, true)) +
    2 * weightParameters(norm, 2 * H) +
    2 * weightParameters(norm, H),
  // Four products (2H, 2H, H, H), their norms, the gates, the candidate and h: 14H measured, 16H allowed.
  stepUnits: (inputs, H) => inputs + 16 * H,
} satisfies CellSpec;
