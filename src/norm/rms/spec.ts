// norm: rms: RMSNorm (Zhang & Sennrich 2019), layer norm without re-centering: per example over a layer's units,
// a / sqrt(mean(a^2) + eps), then a gain and a bias per unit, always trained (their paper keeps the bias optional).
import type { NormSpec } from '../spec';

export const rms = {
  name: 'rms',
  label: 'RMSNorm',
  abbreviation: 'rms',
  colour: '#9b4dca',
  parameters: (units) => 2 * units,
} satisfies NormSpec;
