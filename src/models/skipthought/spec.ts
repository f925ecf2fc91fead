// model.kind skipthought: Kiros et al.'s (2015) skip-thought vectors, as the paper's section 6.3 trains them: a
// recurrent encoder of a sentence (uni-skip) whose final state conditions two recurrent decoders, one predicting
// the sentence before it and one the sentence after, word by word with teacher forcing, through a softmax over the
// vocabulary. `norm` applies to all three cells: GRU or LN-GRU (the paper's Fig. 4 and Table 3).
import { z } from 'zod';
import { normFields, PER_EXAMPLE_NORMS } from '../../norm/catalog';
import { finite, positiveInt } from '../../util/fields';
import { CELL_KINDS } from '../cells/catalog';
import { cellGain, recurrentFields } from '../cells/spec';
import type { ModelSpec } from '../spec';

/** Half-width of the uniform distribution of the word embeddings' initial entries (Kiros et al.: 0.1). */
export const EMBEDDING_INIT = 0.1;

/**
 * The norms a skip-thought model takes: the paper compares GRU and LN-GRU. Batch norm is left out: the decoders'
 * statistics would mix the padded tails of sentences of very different lengths (the reader's README note), and
 * neither the paper nor Kiros et al. train it. RMSNorm goes where layer norm goes.
 */
export const SKIPTHOUGHT_NORMS = PER_EXAMPLE_NORMS;

export const skipthoughtSchema = z
  .object({
    kind: z.literal('skipthought'),
    /** The three cells' kind (Kiros et al. and the paper: GRU). */
    cell: z.enum(CELL_KINDS).default('gru'),
    /** Word embedding size (Kiros et al.: 620). */
    wordDim: positiveInt.default(620),
    /** Units of the encoder and of each decoder: the sentence vector's size (Kiros et al.'s uni-skip: 2400). */
    hidden: positiveInt.default(2400),
    ...recurrentFields,
    ...normFields(SKIPTHOUGHT_NORMS),
    gainInit: finite().optional(),
  })
  .strict();

export type SkipThoughtConfig = z.infer<typeof skipthoughtSchema> & { gainInit: number };

export const skipthought = {
  kind: 'skipthought',
  schema: skipthoughtSchema,
  task: 'skipthought',
  views: ['tokens'],
  // One config: the tests that build the tiny configs take every cell kind in turn.
  tiny: [{ wordDim: 4, hidden: 5 }],
  resolve: (model: z.infer<typeof skipthoughtSchema>): SkipThoughtConfig => ({ ...model, gainInit: cellGain(model) }),
} satisfies ModelSpec;
