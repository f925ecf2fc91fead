// Every model kind's tiny configs (its spec's `tiny`) with every norm, and every cell where it has one, that it takes:
// what the memory-estimate test and the norm matrix test build.
import { runConfigSchema, type RunConfig } from '../src/config/schema';
import { CELL_KINDS } from '../src/models/cells/catalog';
import { MODEL_KINDS, MODELS } from '../src/models/catalog';
import { NORM_KINDS } from '../src/norm/catalog';
import { taskNamed } from '../src/tasks/catalog';

/**
 * Every model kind's tiny configs (its spec's) with every norm, and every cell where it has one, that it takes:
 * [a label, the config].
 */
export function kindConfigs(): [string, RunConfig][] {
  return MODEL_KINDS.flatMap((kind) => {
    const spec = MODELS[kind];
    const cells = 'cell' in spec.schema.shape ? CELL_KINDS : [undefined];
    return spec.tiny.flatMap((tiny) =>
      NORM_KINDS.flatMap((norm) =>
        cells.flatMap((cell) => {
          const source = taskNamed(spec.task).sources?.[0];
          const parsed = runConfigSchema.safeParse({
            name: 'estimate',
            // A task reading other examples than images reads its own source (pen strokes: hanzi; cloze questions, on
            // documents of 5 sentences: tf.profile overflows the stack on the ~100,000 kernels of batch norm's
            // population pass over documents of 20; sentence triples).
            data: {
              train: 128,
              test: 200,
              view: spec.views[0],
              source,
              ...(source === 'cloze' ? { test: 60, contextSentences: 5, candidates: 5 } : {}),
              // Sentence triples: a softmax over 500 words, not 20,000 (the cpu backend's plain loops).
              ...(source === 'books-sentences' ? { test: 32, maxVocab: 500 } : {}),
            },
            model: { kind, ...tiny, norm, ...(cell ? { cell } : {}) },
            train: { batchSize: 32 },
          });
          const label = `${kind} ${JSON.stringify(tiny).replace(/"/g, '')} ${cell ?? ''} ${norm}`;
          return parsed.success ? [[label, parsed.data] as [string, RunConfig]] : []; // a norm it does not take
        }),
      ),
    );
  });
}
