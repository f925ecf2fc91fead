// model.kind retrieval: caption-image retrieval (paper section 6.1, after Vendrov et al.'s order embeddings): a linear
// map (or, with `imageHidden`, a small relu MLP) of a strip's pixels and a GRU or LSTM over learned word embeddings
// of its caption, both into an `embedDim`-dimensional joint space (the recurrent state is the caption's embedding).
// Norm settings apply to the sentence encoder's cell, as in the paper.
import { z } from 'zod';
import { RANKING_LOSSES, type RankingLoss } from '../../metrics/types';
import { normFields, RECURRENT_NORMS } from '../../norm/catalog';
import { finite, positiveInt } from '../../util/fields';
import { CELL_KINDS } from '../cells/catalog';
import { cellGain, recurrentFields } from '../cells/spec';
import type { ModelSpec } from '../spec';

/** Ranking margins: Vendrov et al.'s 0.05 for the order loss, Kiros et al.'s (VSE) 0.2 for the contrastive one. */
export const MARGINS: Record<RankingLoss, number> = { order: 0.05, contrastive: 0.2 };

export const retrievalSchema = z
  .object({
    kind: z.literal('retrieval'),
    cell: z.enum(CELL_KINDS).default('gru'),
    /** Joint space dimension, also the recurrent state size (Vendrov et al.: 1024). */
    embedDim: positiveInt.default(128),
    /** Word embedding size (Vendrov et al.: 300, for a vocabulary of thousands; ours has ten words). */
    wordDim: positiveInt.default(32),
    /** Hidden widths of the image encoder before its linear map into the joint space ([] = linear). */
    imageHidden: z.array(positiveInt).default([]),
    /** `contrastive`: symmetric pairwise ranking on cosine similarity; `order`: Vendrov et al.'s order violations. */
    loss: z.enum(RANKING_LOSSES).default('order'),
    /** Ranking margin; unset means 0.05 for order (Vendrov et al.) and 0.2 for contrastive (Kiros et al.'s VSE). */
    margin: finite().positive().optional(),
    ...recurrentFields,
    ...normFields(RECURRENT_NORMS),
    gainInit: finite().optional(),
  })
  .strict();

export type RetrievalConfig = z.infer<typeof retrievalSchema> & { gainInit: number; margin: number };

export const retrieval = {
  kind: 'retrieval',
  schema: retrievalSchema,
  task: 'retrieval',
  views: ['strips'],
  tiny: [
    { embedDim: 8, wordDim: 4, imageHidden: [16] },
    { embedDim: 8, wordDim: 4 },
  ],
  resolve: (model: z.infer<typeof retrievalSchema>): RetrievalConfig => ({
    ...model,
    gainInit: cellGain(model),
    margin: model.margin ?? MARGINS[model.loss],
  }),
} satisfies ModelSpec;
