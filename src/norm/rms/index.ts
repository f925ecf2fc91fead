// RMSNorm (Zhang & Sennrich 2019): y = g * a / sqrt(mean(a^2) + eps) + b, per example over a layer's units (a convnet's
// positions and channels), the same at train and test time; layer norm without its re-centering, built by layer
// norm's code with `center` false. Inside a recurrence it goes where layer norm goes (RMS-LSTM, RMS-GRU), one gain and
// bias shared over time, and the fused cells compute it (their `rms` kernels).
import type { NormImplementation } from '../types';
import { createRowNorm, recurrentRowNorm } from '../layer';

export const implementation: NormImplementation = {
  layer: (o) => createRowNorm(o, false),
  recurrent: (o) => recurrentRowNorm(o, false),
};
