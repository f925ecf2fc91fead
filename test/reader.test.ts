// The attentive reader (paper section 6.2): padded batches by hand; the whole model's attention, answer
// probabilities, loss and every parameter's gradient against a float64 reference (reader-reference.ts) and its
// finite differences, for every norm, fused and op by op, on cpu and wasm; a padded question scores as it does
// alone; and a tiny reader on the real cloze data trains, reruns identically and keeps its tensor count flat.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { runConfigSchema } from '../src/config/schema';
import type { ClozeData, ClozeSet } from '../src/data/text/cloze-set';
import { isUserError } from '../src/errors';
import { buildReader, type ReaderModel } from '../src/models/reader';
import { readerSchema, reader as spec } from '../src/models/reader/spec';
import { answerErrors, batchLoss } from '../src/tasks/reader';
import { attentionChart, wordLayout } from '../src/tasks/reader/attention-chart';
import { readerBatch, relabeled, tokenBatch } from '../src/tasks/reader/batch';
import { rngFor } from '../src/data/rng';
import { figure } from '../src/report/figures';
import { toSvg } from '../src/report/render';
import { disposeModule } from '../src/util/module';
import type { M, P } from './cell-reference';
import { finiteDifference, loadData, maxRelError, TEST_BACKENDS, trainOn, useBackend } from './helpers';
import { readerRef, type RefQuestion } from './reader-reference';

describe('reader batches', () => {
  it('pads step-major, reverses each sequence within its length, and maps the reversal back', () => {
    const b = tokenBatch([[5, 6, 7], [8]]);
    assert.equal(b.steps, 3);
    assert.deepEqual(Array.from(b.lengths), [3, 1]);
    assert.deepEqual(Array.from(b.forward), [5, 8, 6, 0, 7, 0]);
    assert.deepEqual(Array.from(b.backward), [7, 8, 6, 0, 5, 0]);
    // Position t of sequence 0 is backward step 2 - t (rows 4, 2, 0); sequence 1's one token is row 1; padding
    // keeps its own row.
    assert.deepEqual(Array.from(b.unreverse), [4, 1, 2, 3, 0, 5]);
  });
});

describe('the attention picture', () => {
  it('starts each sentence on a line and wraps a line at 100 characters', () => {
    const long = Array.from({ length: 30 }, () => 'word'); // 30 x 5 characters: two lines
    const { words, lines } = wordLayout([['a', 'bc'], long, ['d']]);
    assert.equal(lines, 4);
    assert.deepEqual(
      words.slice(0, 2).map((w) => [w.line, w.start, w.end]),
      [
        [0, 0, 1],
        [0, 2, 4],
      ],
    );
    assert.deepEqual([words[2].line, words[21].line, words[22].line, words[22].start], [1, 1, 2, 0]);
    assert.equal(words[words.length - 1].line, 3);
  });

  it('renders the words, the query and the candidates with their probabilities', async () => {
    const chart = attentionChart({
      id: 'book/1/21',
      sentences: [
        ['@entity0', 'met', '@entity1'],
        ['then', 'left'],
      ],
      attention: [
        [0.5, 0.1, 0.3],
        [0.05, 0.05],
      ],
      query: ['@placeholder', 'left'],
      answer: '@entity0',
      candidates: [
        { entity: '@entity0', p: 0.75 },
        { entity: '@entity1', p: 0.25 },
      ],
    });
    const svg = await toSvg(figure(chart.title, chart.subtitle, chart.body));
    for (const text of [
      'met',
      'then',
      'query: @placeholder left',
      '@entity0 (answer) 75.0%',
      'the model answers @entity0 (right)',
    ])
      assert.ok(svg.includes(text), text);
  });
});

/** Vocabulary: 0 <pad>, 1 <unk>, 2 @placeholder, 3-6 @entity0-3, 7-8 words. Entities are indices 0-3. */
/**
 * Question 0 mentions its answer twice; question 1 has a candidate its document never mentions (entity 2: its
 * attention mass is the floor alone); the documents have 6, 3 and 4 tokens and the queries 3, 2 and 1.
 */
const QUESTIONS: RefQuestion[] = [
  { document: [3, 7, 4, 8, 4, 5], query: [7, 2, 8], candidates: [0, 1, 2], answer: 1 },
  { document: [6, 8, 3], query: [2, 7], candidates: [0, 2, 3], answer: 3 },
  { document: [4, 7, 7, 5], query: [2], candidates: [1, 2], answer: 2 },
];
const LONGEST = 6;
const ENTITIES = 4;
const SET: ClozeSet = {
  count: QUESTIONS.length,
  documents: QUESTIONS.map((q) => Int32Array.from(q.document)),
  sentences: QUESTIONS.map((q) => Int32Array.from([q.document.length])),
  queries: QUESTIONS.map((q) => Int32Array.from(q.query)),
  answers: Int32Array.from(QUESTIONS, (q) => q.answer),
  candidates: QUESTIONS.map((q) => Int32Array.from(q.candidates)),
  ids: QUESTIONS.map((_, i) => `q${i}`),
};
const DATA = { entities: ENTITIES, firstEntity: 3 } as ClozeData;

/**
 * A reader of 4 units a direction (layer norm over 2 would be ill-conditioned: two values normalize to +-1), with
 * Hermann's answer its attention weights scaled up (at Glorot's scale the attention is nearly uniform over 5
 * positions, and the gradients through it, ~1e-9, drown in float32's rounding), and every norm's gain at 1 (batch
 * norm's default 0.1 shrinks the recurrent paths' gradients alike).
 */
function tinyReader(norm: string, answer = 'weights'): ReaderModel {
  const config = spec.resolve(
    readerSchema.parse({
      kind: 'reader',
      wordDim: 3,
      hidden: 4,
      attention: 3,
      norm,
      answer,
      h0Scale: 0.3,
      gainInit: 1,
    }),
  );
  const model = buildReader({ config, data: { shape: [LONGEST, 3, 3], vocabulary: 9, classes: ENTITIES }, seed: 3 });
  // Only Hermann's answer needs it: the attention sum's answer is the attention itself, and a peaked attention makes
  // its candidates' masses ~1e-4 and their logs' float32 rounding large.
  if (answer === 'weights')
    for (const [role, factor] of [
      ['w_ms', 10],
      ['W_um', 4],
      ['W_ym', 4],
    ] as const)
      model.params[role].assign(tf.tidy(() => tf.mul(model.params[role], factor)));
  return model;
}

/** The model's parameters as float64 arrays by role, with each encoder's h0. */
async function paramsOf(model: ReaderModel): Promise<P> {
  const out: P = {};
  for (const [k, v] of Object.entries(model.params)) out[k] = (await v.array()) as number[] | M;
  for (const [role, cell] of Object.entries(model.cells)) out[`${role}/h0`] = Array.from(cell.h0);
  return out;
}

/**
 * max |got - want| over max |want|, or over `floor` where the largest is smaller: a float32 gradient of a loss near 1
 * carries rounding errors of ~1e-9 whatever its own size, and batch norm multiplies them by up to 1 / sqrt(epsilon)
 * (316) where a batch's rows agree (the first step, from the common h_0: src/models/cells/fused.ts), so that a
 * recurrent weight whose gradient is ~1e-7 carries errors of ~3e-7.
 */
function scaledError(got: number[], want: number[], floor: number): number {
  const scale = Math.max(floor, ...want.map(Math.abs));
  return Math.max(...got.map((g, i) => Math.abs(g - want[i]))) / scale;
}

const shapedLike = (like: number[] | M, x: number[]): number[] | M =>
  Array.isArray(like[0])
    ? Array.from({ length: like.length }, (_, r) => x.slice(r * (like as M)[0].length, (r + 1) * (like as M)[0].length))
    : x;

for (const backend of TEST_BACKENDS) {
  for (const fused of [true, false]) {
    describe(`the attentive reader on ${backend}, ${fused ? 'fused cells' : 'op by op'}`, () => {
      before(async () => {
        await useBackend(backend);
        if (fused) enableFastPaths();
        else disableFastPaths();
      });
      after(() => enableFastPaths());

      for (const [norm, answer] of ['none', 'layer', 'batch'].flatMap((n) => [
        [n, 'weights'],
        [n, 'sum'],
      ])) {
        it(`norm ${norm}, answer ${answer}: attention, answer probabilities, loss and every gradient match the float64 reference`, async () => {
          const model = tinyReader(norm, answer);
          assert.equal(model.cells['document/forward'].fused(true) !== undefined, fused, 'the path under test');
          const p = await paramsOf(model);
          const want = readerRef(p, norm, QUESTIONS, answer);
          let attention: tf.Tensor | undefined;
          let logits: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const out = model.read(readerBatch(SET, [0, 1, 2], ENTITIES, 3), true);
            attention = tf.keep(out.attention);
            logits = tf.keep(out.logits);
            return tf.div(batchLoss(model, DATA, SET, [0, 1, 2], true).nll, 3) as tf.Scalar;
          }, model.parameters());
          const loss = value.dataSync()[0];
          assert.ok(Math.abs(loss - want.loss) <= 1e-5 * Math.max(1, want.loss), `loss ${loss} vs ${want.loss}`);
          const s = (await attention!.array()) as M;
          const z = (await logits!.array()) as M;
          QUESTIONS.forEach((q, b) => {
            const real = s[b].slice(0, q.document.length);
            assert.ok(maxRelError(real, want.results[b].attention) < 1e-4, `attention of question ${b}`);
            assert.deepEqual(
              s[b].slice(q.document.length),
              Array(LONGEST - q.document.length).fill(0),
              'none on padding',
            );
            const scores = q.candidates.map((k) => z[b][k]);
            assert.ok(maxRelError(scores, want.results[b].logits) < 1e-4, `candidate scores of question ${b}`);
            z[b].forEach((v, k) => q.candidates.includes(k) || assert.ok(v < -1e8, 'non-candidates masked'));
          });
          for (const [role, variable] of Object.entries(model.params)) {
            const got = Array.from(await grads[variable.name].data());
            const flat = (p[role] as unknown[]).flat() as number[];
            const fd = finiteDifference(
              (x) => readerRef({ ...p, [role]: shapedLike(p[role], x) }, norm, QUESTIONS, answer).loss,
              flat,
            );
            const error = scaledError(got, fd, norm === 'batch' ? 1e-2 : 1e-3);
            assert.ok(error < 1e-4, `${role}: ${error}`);
            // Padding (id 0) is read at padded steps but masked, and <unk> (id 1) is never read: exactly no gradient.
            if (role === 'embedding') assert.deepEqual(got.slice(0, 2 * 3), Array(2 * 3).fill(0), '<pad>, <unk> rows');
          }
          tf.dispose([value, attention!, logits!, ...Object.values(grads)]);
          disposeModule(model);
        });
      }

      for (const norm of ['none', 'layer']) {
        it(`norm ${norm}: a padded question scores as it does alone (evaluation and training mode)`, async () => {
          const model = tinyReader(norm);
          for (const training of [false, true]) {
            const read = (indices: number[]) =>
              tf.tidy(() => {
                const out = model.read(readerBatch(SET, indices, ENTITIES, 3), training);
                return [out.logits, out.attention];
              });
            const [allLogits, allAttention] = read([0, 1, 2]);
            const [oneLogits, oneAttention] = read([1]);
            const padded = ((await allLogits.array()) as M)[1];
            const alone = ((await oneLogits.array()) as M)[0];
            assert.ok(
              maxRelError(
                padded.filter((v) => v > -1e8),
                alone.filter((v) => v > -1e8),
              ) < 1e-5,
              'logits',
            );
            const paddedAttention = ((await allAttention.array()) as M)[1].slice(0, 3);
            assert.ok(maxRelError(paddedAttention, ((await oneAttention.array()) as M)[0]) < 1e-5, 'attention');
            tf.dispose([allLogits, allAttention, oneLogits, oneAttention]);
          }
          disposeModule(model);
        });
      }
    });
  }
}

describe('entity markers renamed for training', () => {
  it('renames every marker of a question by one permutation: document, query, candidates and answer alike', () => {
    const set = relabeled(SET, [2, 0], 3, ENTITIES, rngFor(1, 'test'));
    assert.deepEqual(set.ids, ['q2', 'q0']);
    [2, 0].forEach((q, b) => {
      const names = new Map<number, number>(); // old entity index -> new
      const check = (before: Int32Array, after: Int32Array) =>
        before.forEach((id, i) => {
          if (id < 3 || id >= 3 + ENTITIES) return assert.equal(after[i], id, 'words stay');
          const seen = names.get(id - 3);
          if (seen !== undefined) assert.equal(after[i] - 3, seen, 'one name per marker');
          names.set(id - 3, after[i] - 3);
        });
      check(SET.documents[q], set.documents[b]);
      check(SET.queries[q], set.queries[b]);
      assert.equal(new Set(names.values()).size, names.size, 'distinct markers stay distinct');
      // Candidates are entities of the document, so each has its new name from it.
      const renamed = Array.from(SET.candidates[q], (k) => names.get(k));
      assert.deepEqual(Array.from(set.candidates[b]).sort(), renamed.sort(), 'the candidates');
      assert.equal(set.answers[b], names.get(SET.answers[q]), 'the answer');
      const markers = Math.max(...names.keys()) + 1; // the question's @entity0 .. @entity(markers - 1)
      assert.ok(
        [...names.values()].every((k) => k < markers),
        "renamed among the question's own markers",
      );
    });
    const again = relabeled(SET, [2, 0], 3, ENTITIES, rngFor(2, 'test'));
    assert.notDeepEqual(again.documents, set.documents, 'another draw, other names');
  });
});

describe('the error metric', () => {
  it('counts a question right only when its answer scores strictly highest: a tie and a NaN are errors', async () => {
    const M9 = -1e9; // a non-candidate
    const logits = tf.tensor2d([
      [2, 1, M9], // right
      [1, 2, M9], // wrong
      [2, 2, M9], // a tie
      [NaN, 1, M9], // the answer NaN
      [2, NaN, M9], // another candidate NaN
      [M9, 0.5, -3], // right, the answer in another column
    ]);
    const answers = tf.tensor2d([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0], [6, 3]);
    const errors = answerErrors(logits, answers);
    assert.deepEqual(Array.from(await errors.data()), [0, 1, 1, 1, 1, 0]);
    tf.dispose([logits, answers, errors]);
  });
});

/**
 * A tiny reader run on the real cloze questions: documents of 5 sentences and 5 candidates (the CI config's cached
 * text data, a quarter of the default's tokens to read), data.seed 1.
 */
const tinyRun = (overrides: { model?: object; data?: object; train?: object } = {}) => ({
  name: 'reader-test',
  data: {
    source: 'cloze',
    view: 'tokens',
    train: 64,
    test: 32,
    seed: 1,
    contextSentences: 5,
    candidates: 5,
    ...overrides.data,
  },
  model: { kind: 'reader', wordDim: 8, hidden: 6, attention: 8, norm: 'layer', ...overrides.model },
  train: { batchSize: 16, epochs: 2, learningRate: 3e-3, seed: 2, ...overrides.train },
});

describe('the reader on the real cloze data [wasm]', () => {
  before(async () => {
    await useBackend('wasm');
    enableFastPaths();
  });

  for (const model of [
    { norm: 'layer' },
    { norm: 'batch', bnStatsBatch: 32 },
    { norm: 'batch', answer: 'sum', bnStats: 'running' },
  ]) {
    it(`${JSON.stringify(model)}: trains, reruns identically, keeps its tensor count flat per epoch and zero after`, async () => {
      const config = runConfigSchema.parse(tinyRun({ model }));
      const data = loadData(config);
      const before = tf.memory().numTensors;
      const perEpoch: number[] = [];
      const a = await trainOn({ config, data, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      assert.equal(new Set(perEpoch).size, 1, `tensors per epoch ${perEpoch.join(', ')}`);
      assert.equal(a.rows.length, 2);
      for (const row of a.rows)
        for (const k of ['train_nll', 'valid_nll', 'valid_error', 'test_nll', 'test_error'])
          assert.ok(Number.isFinite(row[k]), `${k} ${row[k]}`);
      const attention = a.artifacts?.attention as {
        sentences: string[][];
        attention: number[][];
        candidates: { p: number }[];
      };
      const total = attention.attention.flat().reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(total - 1) < 1e-5, `the attention sums to ${total}`);
      assert.deepEqual(
        attention.sentences.map((s) => s.length),
        attention.attention.map((s) => s.length),
      );
      assert.equal(attention.sentences.length, 5);
      const b = await trainOn({ config, data });
      assert.deepEqual(
        b.rows.map((r) => ({ ...r, seconds: 0 })),
        a.rows.map((r) => ({ ...r, seconds: 0 })),
      );
    });
  }

  it('refuses more questions than the books give, naming the key and the most there are', () => {
    const config = runConfigSchema.parse(tinyRun({ data: { train: 1_000_000, contextSentences: 20, candidates: 10 } }));
    assert.throws(
      () => loadData(config),
      (e: unknown) =>
        isUserError(e) && /^data\.train: 1000000 training questions .* at most 1465$/.test((e as Error).message),
    );
  });

  it('refuses more validation and test questions than the smaller of the two splits has', () => {
    const config = runConfigSchema.parse(tinyRun({ data: { test: 150, contextSentences: 20, candidates: 10 } })); // 160 validation, 138 test
    assert.throws(
      () => loadData(config),
      /^UserError: data\.test: 150 validation and test questions each .* at most 138$/,
    );
  });

  it('refuses cloze keys with another source and another source for the reader', () => {
    const bad = runConfigSchema.safeParse({
      ...tinyRun(),
      data: { source: 'bundled', train: 64, test: 32, contextSentences: 5 },
    });
    assert.ok(!bad.success);
    const messages = bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(messages.includes('data.contextSentences: applies to data.source cloze only'), messages.join('; '));
    assert.ok(
      messages.some((m) => m.startsWith('data.source: model.kind reader reads data.source cloze')),
      messages.join('; '),
    );
  });
});
