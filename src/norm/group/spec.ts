// norm: group: group normalization (Wu & He 2018), per example over groups of a layer's channels (at every position of
// a convnet's feature map; an MLP's units are channels at one position), a gain and a bias per channel. model.groups is
// its own key: groups = 1 is layer norm over (H, W, C), groups = channels is instance norm (Ulyanov et al. 2016).
import { positiveInt } from '../../util/fields';
import type { NormSpec } from '../spec';

/** Wu & He's default number of groups. */
export const GN_GROUPS = 32;

/** The groups of a layer of `channels` channels: model.groups, capped at the channel count. */
export const groupsFor = (groups: number, channels: number): number => Math.min(groups, channels);

export const group = {
  name: 'group',
  label: 'group norm',
  abbreviation: 'gn',
  colour: '#2a9d8f',
  fields: {
    /**
     * Group norm's groups of channels per layer (Wu & He: 32), capped at a layer's channel count (or units); the
     * capped value must divide it. 1: layer norm; the channel count: instance norm.
     */
    groups: positiveInt.default(GN_GROUPS),
  },
  cells: {
    names: [],
    reason: 'norm group normalizes the channels of feed-forward layers (model.kind mlp or conv), not recurrent cells',
  },
  parameters: (units) => 2 * units,
} satisfies NormSpec;
