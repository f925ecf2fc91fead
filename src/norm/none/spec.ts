// norm: none: no normalization; each layer keeps its own bias.
import type { NormSpec } from '../spec';

export const none = {
  name: 'none',
  label: 'no norm',
  abbreviation: '',
  colour: '#6b6b6b',
  identity: true,
  parameters: () => 0,
} satisfies NormSpec;
