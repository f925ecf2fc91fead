// norm: layer: layer normalization (Ba et al. 2016, eq. 4), per example over a layer's units; a gain and a bias per
// unit, always trained.
import type { NormSpec } from '../spec';

export const layer = {
  name: 'layer',
  label: 'layer norm',
  abbreviation: 'ln',
  colour: '#1f6fb4',
  parameters: (units) => 2 * units,
} satisfies NormSpec;
