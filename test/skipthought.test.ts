// Skip-thought vectors (paper section 6.3): teacher-forced decoder batches by hand; the whole model's loss, sentence
// vectors and every parameter's gradient against a float64 reference (skipthought-reference.ts) and its finite
// differences, for GRU and LSTM cells with and without layer norm, fused and op by op, on cpu and wasm; a triple
// scores in a padded batch as it does alone; the nearest-neighbour picture; and a tiny model on the real triples
// trains, reruns identically, keeps its tensor count flat and reports finite downstream accuracies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { runConfigSchema } from '../src/config/schema';
import { isUserError } from '../src/errors';
import { buildSkipThought, tokenNll, type SkipThoughtModel } from '../src/models/skipthought';
import { skipthoughtSchema, skipthought as spec } from '../src/models/skipthought/spec';
import { figure } from '../src/report/figures';
import { toSvg } from '../src/report/render';
import { encodeSentences } from '../src/tasks/skipthought';
import { decoderBatch, sentenceBatch, tripleBatch } from '../src/tasks/skipthought/batch';
import { neighboursChart } from '../src/tasks/skipthought/neighbours-chart';
import { disposeModule } from '../src/util/module';
import type { M, P } from './cell-reference';
import { finiteDifference, loadData, maxRelError, TEST_BACKENDS, trainOn, useBackend } from './helpers';
import { skipthoughtRef, type RefTriple } from './skipthought-reference';

describe('skip-thought batches', () => {
  it('pads the encoder step-major and gives each decoder <eos> then its words, predicting its words then <eos>', () => {
    assert.deepEqual(sentenceBatch([[5, 6, 7], [8]]), {
      steps: 3,
      lengths: Int32Array.from([3, 1]),
      ids: Int32Array.from([5, 8, 6, 0, 7, 0]),
    });
    const d = decoderBatch([[5, 6], [], [7]], 2);
    assert.equal(d.steps, 3);
    assert.deepEqual(Array.from(d.lengths), [3, 1, 2]);
    // Rows t * 3 + b: t = 0 reads <eos> everywhere; t = 1 the first words of sentences 0 and 2; t = 2 sentence 0's second.
    assert.deepEqual(Array.from(d.inputs), [2, 2, 2, 5, 0, 7, 6, 0, 0]);
    assert.deepEqual(Array.from(d.rows), [0, 1, 2, 3, 5, 6]);
    assert.deepEqual(Array.from(d.targets), [5, 2, 7, 6, 2, 2]);
  });

  it('takes the sentences before and after each centre', () => {
    const sentences = [[3], [4, 5], [6], [7, 3]];
    const t = tripleBatch(sentences, [1, 2], 2);
    assert.equal(t.batch, 2);
    assert.deepEqual(Array.from(t.current.ids), [4, 6, 5, 0]);
    assert.deepEqual(Array.from(t.previous.targets), [3, 4, 2, 5, 2]);
    assert.deepEqual(Array.from(t.next.targets), [6, 7, 2, 3, 2]);
  });
});

describe('the nearest-neighbour picture', () => {
  it('renders each query with its neighbours and their cosines', async () => {
    const chart = neighboursChart({
      pool: '3 training sentences',
      queries: [{ query: 'he went to sea', neighbours: [{ sentence: 'she went home', cosine: 0.91234 }] }],
    });
    const svg = await toSvg(figure(chart.title, chart.subtitle, chart.body));
    for (const text of ['query: he went to sea', '0.9123', 'she went home', 'among 3 training sentences'])
      assert.ok(svg.includes(text), text);
  });
});

/** Vocabulary: 0 <pad>, 1 <unk>, 2 <eos>, 3-7 words. */
const VOCABULARY = 8;
/**
 * Triple 1's current sentence is empty (its vector is h_0) and its previous one too (that decoder predicts <eos>
 * alone); word 3 is repeated within a sentence; sentences of 0 to 4 words pad each batch.
 */
const TRIPLES: RefTriple[] = [
  { previous: [3, 4, 3], current: [5, 6, 7, 4], next: [6] },
  { previous: [], current: [], next: [7, 3] },
  { previous: [4], current: [3], next: [5, 5, 6, 4] },
];
const SENTENCES = TRIPLES.flatMap((t) => [t.previous, t.current, t.next]);
const CENTRES = [1, 4, 7];

/** A model of 4 units (layer norm over 2 would be ill-conditioned: two values normalize to +-1), gains at 1. */
function tinyModel(cell: string, norm: string): SkipThoughtModel {
  const config = spec.resolve(
    skipthoughtSchema.parse({ kind: 'skipthought', cell, wordDim: 3, hidden: 4, norm, h0Scale: 0.3, gainInit: 1 }),
  );
  return buildSkipThought({ config, data: { shape: [4, 5], vocabulary: VOCABULARY }, seed: 5 });
}

async function paramsOf(model: SkipThoughtModel): Promise<P> {
  const out: P = {};
  for (const [k, v] of Object.entries(model.params)) out[k] = (await v.array()) as number[] | M;
  for (const [role, cell] of Object.entries(model.cells)) out[`${role}/h0`] = Array.from(cell.h0);
  return out;
}

const shapedLike = (like: number[] | M, x: number[]): number[] | M =>
  Array.isArray(like[0])
    ? Array.from({ length: like.length }, (_, r) => x.slice(r * (like as M)[0].length, (r + 1) * (like as M)[0].length))
    : x;

const CASES = [
  ['gru', 'none'],
  ['gru', 'layer'],
  ['lstm', 'none'],
  ['lstm', 'layer'],
] as const;

for (const backend of TEST_BACKENDS) {
  for (const fused of [true, false]) {
    describe(`skip-thoughts on ${backend}, ${fused ? 'fused cells' : 'op by op'}`, () => {
      before(async () => {
        await useBackend(backend);
        if (fused) enableFastPaths();
        else disableFastPaths();
      });
      after(() => enableFastPaths());

      for (const [cell, norm] of CASES) {
        it(`${cell}, norm ${norm}: loss, sentence vectors and every gradient match the float64 reference`, async () => {
          const model = tinyModel(cell, norm);
          assert.equal(model.cells.encoder.fused(true) !== undefined, fused, 'the path under test');
          const p = await paramsOf(model);
          const want = skipthoughtRef(p, cell, norm, TRIPLES);
          let words = 0;
          const { value, grads } = tf.variableGrads(() => {
            const out = model.loss(tripleBatch(SENTENCES, CENTRES, 2), true);
            words = out.words;
            return tf.div(out.nll, out.words) as tf.Scalar;
          }, model.parameters());
          assert.equal(words, want.words);
          const loss = value.dataSync()[0];
          assert.ok(Math.abs(loss - want.loss) <= 1e-5 * want.loss, `loss ${loss} vs ${want.loss}`);
          const vectors = tf.tidy(() => model.encode(sentenceBatch(TRIPLES.map((t) => t.current)), 3, false));
          assert.ok(maxRelError((await vectors.array()) as M, want.vectors) < 1e-5, 'sentence vectors');
          for (const [role, variable] of Object.entries(model.params)) {
            const got = Array.from(await grads[variable.name].data());
            const flat = (p[role] as unknown[]).flat() as number[];
            const fd = finiteDifference(
              (x) => skipthoughtRef({ ...p, [role]: shapedLike(p[role], x) }, cell, norm, TRIPLES).loss,
              flat,
            );
            const scale = Math.max(1e-3, ...fd.map(Math.abs));
            const error = Math.max(...got.map((g, i) => Math.abs(g - fd[i]))) / scale;
            assert.ok(error < 1e-4, `${role}: ${error}`);
            // Padding (id 0) is read at padded steps but masked, and <unk> (id 1) is never read: exactly no gradient.
            if (role === 'embedding') assert.deepEqual(got.slice(0, 2 * 3), Array(2 * 3).fill(0), '<pad>, <unk> rows');
          }
          tf.dispose([value, vectors, ...Object.values(grads)]);
          disposeModule(model);
        });
      }

      for (const [cell, norm] of [
        ['gru', 'layer'],
        ['lstm', 'none'],
      ] as const) {
        it(`${cell}, norm ${norm}: a batch's loss is the sum of its triples' alone (evaluation and training mode)`, async () => {
          const model = tinyModel(cell, norm);
          for (const training of [false, true]) {
            const nll = async (centres: number[]) => {
              const t = tf.tidy(() => model.loss(tripleBatch(SENTENCES, centres, 2), training).nll);
              return (await t.data().finally(() => t.dispose()))[0];
            };
            const alone = await Promise.all(CENTRES.map((c) => nll([c])));
            const together = await nll(CENTRES);
            const sum = alone.reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(together - sum) < 1e-5 * together, `${training}: ${together} vs ${alone.join(' + ')}`);
          }
          disposeModule(model);
        });
      }
    });
  }
}

for (const backend of TEST_BACKENDS) {
  describe(`the token NLL on ${backend}`, () => {
    before(() => useBackend(backend));

    it('is -log softmax at the target, its gradient softmax - onehot (against float64 and finite differences)', async () => {
      // Rows of 1,000 with a target at each end, and one logit far above the rest: their exp(x - max) underflows
      // float32 (e^-121).
      const [n, V] = [4, 1000];
      const rows = Array.from({ length: n }, (_, i) => Array.from({ length: V }, (_, j) => Math.sin(3 * i + 0.7 * j)));
      rows[2][5] = 120;
      const targets = Int32Array.from([0, V - 1, 5, 17]);
      const weights = [0.7, -1.3, 2, 0.25];
      const nllRef = (x: number[]) =>
        Array.from({ length: n }, (_, r) => {
          const row = x.slice(r * V, (r + 1) * V);
          const top = Math.max(...row);
          return top + Math.log(row.reduce((a, v) => a + Math.exp(v - top), 0)) - row[targets[r]];
        });
      const lossRef = (x: number[]) => nllRef(x).reduce((s, v, r) => s + weights[r] * v, 0);
      const logits = tf.tensor2d(rows);
      const value = Array.from(await tokenNll(logits, targets).data());
      assert.ok(maxRelError(value, nllRef(rows.flat())) < 1e-6, 'values');
      const f = (x: tf.Tensor) => tf.sum(tf.mul(tokenNll(x as tf.Tensor2D, targets), tf.tensor1d(weights)));
      const got = Array.from(await tf.grad(f)(logits).data());
      // The gradient by hand in float64: w_r (softmax - onehot), checked against finite differences on one row.
      const want = rows.flatMap((row, r) => {
        const top = Math.max(...row);
        const z = row.reduce((a, v) => a + Math.exp(v - top), 0);
        return row.map((v, j) => weights[r] * (Math.exp(v - top) / z - (j === targets[r] ? 1 : 0)));
      });
      assert.ok(maxRelError(got, want) < 1e-6, 'gradient');
      const fd = finiteDifference((x) => lossRef([...x, ...rows.slice(1).flat()]), rows[0]);
      assert.ok(maxRelError(want.slice(0, V), fd) < 1e-6, 'the hand gradient against finite differences');
      logits.dispose();
    });
  });
}

/** A tiny run on the real triples: 2 epochs of 64 triples, 32 validation and test triples, a 500-word vocabulary. */
function tinyRun(over: { model?: object; data?: object } = {}) {
  return {
    name: 'tiny-skipthought',
    data: { source: 'books-sentences', view: 'tokens', maxVocab: 500, train: 64, test: 32, seed: 1, ...over.data },
    model: { kind: 'skipthought', wordDim: 6, hidden: 8, norm: 'layer', ...over.model },
    train: { batchSize: 32, epochs: 2, learningRate: 1e-2, seed: 1 },
  };
}

describe('skip-thoughts on the real triples [wasm]', () => {
  before(async () => {
    await useBackend('wasm');
    enableFastPaths();
  });

  for (const model of [{ norm: 'layer' }, { norm: 'none', cell: 'lstm' }]) {
    it(`${JSON.stringify(model)}: trains, reruns identically, keeps its tensor count flat per epoch and zero after`, async () => {
      const config = runConfigSchema.parse(tinyRun({ model }));
      const data = loadData(config);
      const before = tf.memory().numTensors;
      const perEpoch: number[] = [];
      const a = await trainOn({ config, data, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      assert.equal(new Set(perEpoch).size, 1, `tensors per epoch ${perEpoch.join(', ')}`);
      assert.equal(a.rows.length, 2);
      for (const row of a.rows) {
        const at = (k: string) => row[k] ?? NaN;
        for (const k of ['train_nll', 'valid_nll', 'test_nll']) assert.ok(at(k) > 0 && at(k) < 10, `${k} ${at(k)}`);
        for (const k of ['imdb_acc', 'amazon_acc', 'yelp_acc', 'mean_acc'])
          assert.ok(at(k) >= 0.3 && at(k) <= 0.8, `${k} ${at(k)}`);
        assert.ok(Math.abs(at('mean_acc') - (at('imdb_acc') + at('amazon_acc') + at('yelp_acc')) / 3) < 1e-12);
      }
      const neighbours = a.artifacts?.neighbours as {
        queries: { query: string; neighbours: { sentence: string; cosine: number }[] }[];
      };
      assert.equal(neighbours.queries.length, 6);
      for (const q of neighbours.queries) {
        assert.equal(q.neighbours.length, 3);
        const cosines = q.neighbours.map((n) => n.cosine);
        assert.deepEqual(
          [...cosines].sort((x, y) => y - x),
          cosines,
          'nearest first',
        );
        assert.ok(cosines.every((c) => c <= 1 + 1e-6 && c >= -1 - 1e-6));
      }
      const b = await trainOn({ config, data });
      assert.deepEqual(
        b.rows.map((r) => ({ ...r, seconds: 0 })),
        a.rows.map((r) => ({ ...r, seconds: 0 })),
      );
    });
  }

  it('encodes sentences in their own order whatever the batching by length', async () => {
    const config = spec.resolve(skipthoughtSchema.parse({ kind: 'skipthought', wordDim: 3, hidden: 4 }));
    const model = buildSkipThought({ config, data: { shape: [4, 5], vocabulary: VOCABULARY }, seed: 5 });
    const sentences = [[3, 4, 5], [6], [], [7, 7]];
    const all = await encodeSentences(model, sentences);
    for (const [i, s] of sentences.entries()) {
      const [alone] = (await encodeSentences(model, [s]))!;
      assert.ok(maxRelError(Array.from(all![i]), Array.from(alone)) < 1e-6, `sentence ${i}`);
    }
    disposeModule(model);
  });

  it('refuses more triples than the books give, naming the key and the most there are', () => {
    const config = runConfigSchema.parse(tinyRun({ data: { train: 1_000_000 } }));
    assert.throws(
      () => loadData(config),
      (e: unknown) =>
        isUserError(e) && /^data\.train: 1000000 training triples .* at most \d+$/.test((e as Error).message),
    );
  });

  it('refuses more validation and test triples than the smaller of the two splits has', () => {
    const config = runConfigSchema.parse(tinyRun({ data: { test: 2055 } })); // 2,060 validation, 2,048 test triples
    assert.throws(
      () => loadData(config),
      /^UserError: data\.test: 2055 validation and test triples each .* at most 2048$/,
    );
  });

  it('refuses batch norm, a key of the cloze data, and books-sentences keys under another source', () => {
    const issues = (config: unknown) => {
      const parsed = runConfigSchema.safeParse(config);
      assert.ok(!parsed.success);
      return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const batch = issues(tinyRun({ model: { norm: 'batch' } }));
    assert.ok(
      batch.some((m) => /^model\.norm: .*'none' \| 'layer' \| 'rms', received 'batch'/.test(m)),
      batch.join('; '),
    );
    const cloze = issues(tinyRun({ data: { contextSentences: 5 } }));
    assert.ok(cloze.includes('data.contextSentences: applies to data.source cloze only'), cloze.join('; '));
    const otherMessages = issues({
      name: 'x',
      data: { source: 'bundled', train: 64, test: 32, maxTokens: 20, books: ['brown'] },
      model: { kind: 'mlp' },
    });
    assert.ok(
      otherMessages.includes('data.maxTokens: applies to data.source books-sentences only'),
      otherMessages.join('; '),
    );
    assert.ok(
      otherMessages.includes('data.books: applies to data.source cloze or books-sentences only'),
      otherMessages.join('; '),
    );
  });
});
