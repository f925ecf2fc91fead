// DRAW (paper section 6.4, Gregor et al. 2015): the attention filterbanks, read and write against a float64
// reference of Gregor et al.'s equations (section 3.2) and their gradients against finite differences; the KL
// term against its closed form; the bound of a model whose weights are zero against its value by hand; the
// binarization; a tiny DRAW that trains, leaks nothing and reruns identically.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths } from '../src/backend/fast';
import { runConfigSchema } from '../src/config/schema';
import { binarize } from '../src/data/images';
import type { Dataset, ImageSet } from '../src/data/types';
import { filterbank, FILTER_EPSILON, read, write } from '../src/models/draw/attention';
import { FILTERBANK } from '../src/backend/kernels/filterbank';
import { hasKernel } from '../src/backend/kernels/js-kernel';
import { buildDraw, klToStandardNormal } from '../src/models/draw';
import { disposeModule } from '../src/util/module';
import { drawSchema, type DrawConfig } from '../src/models/draw/spec';
import { finiteDifference, loadData, maxRelError, randomMatrix, trainOn, useBackend } from './helpers';

type M = number[][];
const SIDE = 28;

/** F [N][side] of one axis: exp(-(a - mu_i)^2 / (2 var)), a = 1..side, rows normalized (+ FILTER_EPSILON). */
function bankRef(mu: number[], variance: number): M {
  return mu.map((m) => {
    const row = Array.from({ length: SIDE }, (_, a) => Math.exp(-((a + 1 - m) ** 2) / (2 * variance)));
    const z = row.reduce((s, v) => s + v, 0) + FILTER_EPSILON;
    return row.map((v) => v / z);
  });
}

/** The filterbank of one example from its 5 parameters (gx~, gy~, log var, log delta~, log gamma). */
function filterbankRef(p: number[], n: number): { fx: M; fy: M; gamma: number } {
  const [gx, gy] = [((SIDE + 1) / 2) * (p[0] + 1), ((SIDE + 1) / 2) * (p[1] + 1)];
  const delta = ((SIDE - 1) / (n - 1)) * Math.exp(p[3]);
  const grid = (g: number) => Array.from({ length: n }, (_, i) => g + (i + 1 - n / 2 - 0.5) * delta);
  return { fx: bankRef(grid(gx), Math.exp(p[2])), fy: bankRef(grid(gy), Math.exp(p[2])), gamma: Math.exp(p[4]) };
}

const matmul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const square = (flat: number[], n: number): M => Array.from({ length: n }, (_, r) => flat.slice(r * n, (r + 1) * n));

/** gamma F_Y img F_X^T, flattened. */
function glimpseRef(img: number[], fb: ReturnType<typeof filterbankRef>): number[] {
  return matmul(matmul(fb.fy, square(img, SIDE)), transpose(fb.fx))
    .flat()
    .map((v) => v * fb.gamma);
}

/** (1 / gamma) F_Y^T w F_X, flattened. */
function writeRef(patch: number[], fb: ReturnType<typeof filterbankRef>, n: number): number[] {
  return matmul(matmul(transpose(fb.fy), square(patch, n)), fb.fx)
    .flat()
    .map((v) => v / fb.gamma);
}

/** Filterbank parameters of a glimpse well inside the image (centre near the middle, stride and variance moderate). */
const PARAMS = [
  [0.1, -0.2, 0.3, -1.5, 0.2],
  [-0.3, 0.25, -0.4, -1.2, -0.1],
];

const flat = async (t: tf.Tensor) => Array.from(await t.data());

for (const fused of [false, true])
  describe(`DRAW attention, the filterbank ${fused ? 'fused' : 'op by op'} (float64 reference, finite differences)`, () => {
    before(async () => {
      await useBackend('cpu');
      if (fused) enableFastPaths();
      else disableFastPaths();
      assert.equal(hasKernel(FILTERBANK), fused);
    });
    after(() => disableFastPaths());

    for (const n of [2, 5]) {
      it(`filterbank, read and write of a ${n}x${n} grid equal the reference`, async () => {
        const images = randomMatrix(2, SIDE * SIDE, 7, 0.5, 0.5);
        const patches = randomMatrix(2, n * n, 8);
        const fb = filterbank(tf.tensor2d(PARAMS), n);
        const ref = PARAMS.map((p) => filterbankRef(p, n));
        assert.ok(
          maxRelError(
            await flat(fb.fx),
            ref.flatMap((r) => r.fx.flat()),
          ) < 1e-5,
          'F_X',
        );
        assert.ok(
          maxRelError(
            await flat(fb.fy),
            ref.flatMap((r) => r.fy.flat()),
          ) < 1e-5,
          'F_Y',
        );
        const rowSums = await flat(tf.sum(fb.fx, 2));
        assert.ok(
          rowSums.every((s) => Math.abs(s - 1) < 1e-5),
          'each filter sums to 1',
        );
        const x = tf.tensor2d(images);
        const g = await flat(read(x, tf.mul(x, 0.5) as tf.Tensor2D, fb));
        const expected = images.flatMap((img, b) => [
          ...glimpseRef(img, ref[b]),
          ...glimpseRef(
            img.map((v) => v * 0.5),
            ref[b],
          ),
        ]);
        assert.ok(maxRelError(g, expected) < 1e-5, `read: ${maxRelError(g, expected)}`);
        const w = await flat(write(tf.tensor2d(patches), fb));
        const wExpected = patches.flatMap((patch, b) => writeRef(patch, ref[b], n));
        assert.ok(maxRelError(w, wExpected) < 1e-5, `write: ${maxRelError(w, wExpected)}`);
      });
    }

    it('read and write: gradients for the filterbank parameters, image and patch match finite differences', async () => {
      const n = 3;
      const img = randomMatrix(1, SIDE * SIDE, 9, 0.5, 0.5)[0];
      const patch = randomMatrix(1, n * n, 10)[0];
      const up = randomMatrix(1, SIDE * SIDE, 11)[0]; // upstream gradient of the write
      const upRead = randomMatrix(1, n * n, 12)[0];
      const p0 = PARAMS[0];
      // Loss: <upRead, glimpse(img)> + <up, write(patch)>, both through the same filterbank.
      const lossRef = (p: number[], im: number[], pa: number[]) => {
        const fb = filterbankRef(p, n);
        const r = glimpseRef(im, fb).reduce((s, v, i) => s + v * upRead[i], 0);
        return r + writeRef(pa, fb, n).reduce((s, v, i) => s + v * up[i], 0);
      };
      const loss = (p: tf.Tensor, im: tf.Tensor, pa: tf.Tensor) => {
        const fb = filterbank(p as tf.Tensor2D, n);
        const g = tf.slice(read(im as tf.Tensor2D, im as tf.Tensor2D, fb), [0, 0], [1, n * n]);
        return tf.add(
          tf.sum(tf.mul(g, tf.tensor2d([upRead]))),
          tf.sum(tf.mul(write(pa as tf.Tensor2D, fb), tf.tensor2d([up]))),
        );
      };
      const [dp, dim, dpa] = tf.grads(loss)([tf.tensor2d([p0]), tf.tensor2d([img]), tf.tensor2d([patch])]);
      const fdP = finiteDifference((p) => lossRef(p, img, patch), p0);
      const fdIm = finiteDifference((im) => lossRef(p0, im, patch), img);
      const fdPa = finiteDifference((pa) => lossRef(p0, img, pa), patch);
      for (const [name, got, want] of [
        ['params', await flat(dp), fdP],
        ['image', await flat(dim), fdIm],
        ['patch', await flat(dpa), fdPa],
      ] as const) {
        const err = maxRelError(got, want);
        assert.ok(err < 1e-3, `${name}: ${err}`);
        assert.ok(Math.max(...want.map(Math.abs)) > 1e-3, `${name}: a gradient that is not trivially 0`);
      }
    });
  });

describe('DRAW bound terms', () => {
  before(() => useBackend('cpu'));

  it('the KL term equals its closed form 0.5 sum(mu^2 + sigma^2 - log sigma^2 - 1)', async () => {
    const mu = randomMatrix(3, 6, 13);
    const logSigma = randomMatrix(3, 6, 14, 0.5);
    const got = await flat(klToStandardNormal(tf.tensor2d(mu), tf.tensor2d(logSigma)));
    const want = mu.map((row, i) =>
      row.reduce((s, m, k) => {
        const ls = logSigma[i][k];
        return s + 0.5 * (m * m + Math.exp(2 * ls) - 2 * ls - 1);
      }, 0),
    );
    assert.ok(maxRelError(got, want) < 1e-5, `${maxRelError(got, want)}`);
    const zero = await flat(klToStandardNormal(tf.zeros([2, 4]), tf.zeros([2, 4])));
    assert.deepEqual(zero, [0, 0], 'KL(N(0, I) || N(0, I)) = 0');
  });
});

/** A DRAW config (parsed, defaults filled in). */
function drawConfig(model: Partial<DrawConfig>): DrawConfig {
  return drawSchema.parse({ kind: 'draw', hidden: 6, latent: 3, glimpses: 4, ...model });
}

describe('DRAW bound by hand', () => {
  before(() => useBackend('cpu'));

  for (const [attention, norm] of [
    ['none', 'none'],
    ['none', 'layer'],
    ['gaussian', 'layer'],
  ] as const) {
    it(`zero weights (attention ${attention}, norm ${norm}): the bound is what the equations give`, async () => {
      const config = drawConfig({ attention, norm });
      const model = buildDraw({ config, seed: 1 });
      // Every weight 0 (layer norm gains too: a norm of 0 is its bias, 0); then a few biases set by hand.
      for (const v of Object.values(model.params)) v.assign(tf.zerosLike(v));
      const [m, s, beta] = [0.3, -0.2, attention === 'none' ? 0.05 : 0];
      model.params['mu/b'].assign(tf.fill([config.latent], m));
      model.params['log_sigma/b'].assign(tf.fill([config.latent], s));
      model.params['write/b'].assign(tf.fill(model.params['write/b'].shape, beta));
      const x = randomMatrix(2, SIDE * SIDE, 15).map((row) => row.map((v) => (v > 0 ? 1 : 0)));
      const eps = tf.tensor2d(randomMatrix(2, config.latent, 16));
      const { recon, kl } = model.bound(tf.tensor2d(x), () => eps);
      // Both LSTMs output h = 0 (no input reaches them, c stays 0), so mu = m, log sigma = s at every step, and
      // each step writes beta to every pixel (with attention, a zero patch writes 0): c_T = T beta.
      const c = config.glimpses * beta;
      const softplus = Math.log1p(Math.exp(c));
      const reconWant = x.map((row) => row.reduce((sum: number, xi) => sum + softplus - xi * c, 0));
      const klWant = config.glimpses * config.latent * 0.5 * (m * m + Math.exp(2 * s) - 2 * s - 1);
      assert.ok(maxRelError(await flat(recon), reconWant) < 1e-5, `recon ${await flat(recon)} vs ${reconWant}`);
      assert.ok(maxRelError(await flat(kl), [klWant, klWant]) < 1e-5, `kl ${await flat(kl)} vs ${klWant}`);
      if (beta === 0) assert.ok(Math.abs(reconWant[0] - SIDE * SIDE * Math.log(2)) < 1e-9, '784 ln 2');
      disposeModule(model);
    });
  }
});

/** A row vector h times W [in][out] plus b. */
const denseRef = (h: number[], w: M, b: number[]) => b.map((bj, j) => bj + h.reduce((s, v, k) => s + v * w[k][j], 0));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const softplusRef = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/** Layer norm of one vector (biased variance, eps inside the square root). */
function lnRef(a: number[], gain: number[], bias: number[]): number[] {
  const mu = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mu) ** 2, 0) / a.length + 1e-5);
  return a.map((v, j) => (gain[j] * (v - mu)) / sd + bias[j]);
}

type Params = Record<string, number[] | M>;

/** One (LN-)LSTM step of the float64 reference: gates f, i, o, g; layer norm on W_h h, W_x x and c. */
function lstmRef(p: Params, pre: string, x: number[], h: number[], c: number[], layer: boolean) {
  const v = (k: string) => p[`${pre}/${k}`] as number[];
  const zero = v('b').map(() => 0);
  let wh = denseRef(h, p[`${pre}/W_h`] as M, zero);
  let wx = denseRef(x, p[`${pre}/W_x`] as M, zero);
  if (layer) [wh, wx] = [lnRef(wh, v('ln_h/gain'), v('ln_h/bias')), lnRef(wx, v('ln_x/gain'), v('ln_x/bias'))];
  const g = wh.map((a, j) => a + wx[j] + v('b')[j]);
  const H = h.length;
  const c2 = c.map((cv, k) => sigmoid(g[k]) * cv + sigmoid(g[H + k]) * Math.tanh(g[3 * H + k]));
  const out = layer ? lnRef(c2, v('ln_c/gain'), v('ln_c/bias')) : c2;
  return { h: out.map((cv, k) => sigmoid(g[2 * H + k]) * Math.tanh(cv)), c: c2 };
}

/** DRAW's bound terms for one image, from Gregor et al.'s equations (sections 2 and 3.2; h_0 = 0 here). */
function drawRef(p: Params, cfg: DrawConfig, x: number[], eps: (t: number) => number[]) {
  const H = cfg.hidden;
  const layer = cfg.norm === 'layer';
  let [he, ce, hd, cd] = [Array(H).fill(0), Array(H).fill(0), Array(H).fill(0), Array(H).fill(0)] as number[][];
  let c = Array(SIDE * SIDE).fill(0) as number[];
  let kl = 0;
  const att = (k: string, h: number[], n: number) =>
    filterbankRef(denseRef(h, p[`${k}/w`] as M, p[`${k}/b`] as number[]), n);
  for (let t = 0; t < cfg.glimpses; t++) {
    const xhat = x.map((v, i) => v - sigmoid(c[i]));
    const fr = cfg.attention === 'gaussian' ? att('read_attention', hd, cfg.readSize) : undefined;
    const r = fr ? [...glimpseRef(x, fr), ...glimpseRef(xhat, fr)] : [...x, ...xhat];
    ({ h: he, c: ce } = lstmRef(p, 'enc', [...r, ...hd], he, ce, layer));
    const mu = denseRef(he, p['mu/w'] as M, p['mu/b'] as number[]);
    const ls = denseRef(he, p['log_sigma/w'] as M, p['log_sigma/b'] as number[]);
    kl += mu.reduce((s, m, k) => s + 0.5 * (m * m + Math.exp(2 * ls[k]) - 2 * ls[k] - 1), 0);
    const z = mu.map((m, k) => m + Math.exp(ls[k]) * eps(t)[k]);
    ({ h: hd, c: cd } = lstmRef(p, 'dec', z, hd, cd, layer));
    const w = denseRef(hd, p['write/w'] as M, p['write/b'] as number[]);
    const fw = cfg.attention === 'gaussian' ? att('write_attention', hd, cfg.writeSize) : undefined;
    const wr = fw ? writeRef(w, fw, cfg.writeSize) : w;
    c = c.map((v, i) => v + wr[i]);
  }
  return { recon: x.reduce((s, v, i) => s + softplusRef(c[i]) - v * c[i], 0), kl };
}

describe('DRAW against a float64 reference of the whole model', () => {
  before(() => useBackend('cpu'));

  for (const [attention, norm] of [
    ['gaussian', 'none'],
    ['gaussian', 'layer'],
    ['none', 'layer'],
  ] as const) {
    it(`random weights (attention ${attention}, norm ${norm}): recon and KL per image equal the reference`, async () => {
      const config = drawConfig({ attention, norm, hidden: 5, latent: 3, glimpses: 3, writeSize: 3, h0Scale: 0 });
      const model = buildDraw({ config, seed: 7 });
      // Biases and norm gains moved off their initial values, so that every parameter matters.
      Object.values(model.params).forEach((v, i) =>
        v.assign(tf.add(v, tf.tensor(randomMatrix(1, v.size, 40 + i, 0.3)[0], v.shape))),
      );
      const p: Params = {};
      for (const [k, v] of Object.entries(model.params)) {
        const d = await flat(v);
        p[k] =
          v.rank === 2
            ? Array.from({ length: v.shape[0] }, (_, r) => d.slice(r * v.shape[1]!, (r + 1) * v.shape[1]!))
            : d;
      }
      // Two images (top halves inkier than bottoms: not symmetric), noise different per step and per image.
      const x = [0, 1].map((b) =>
        Array.from({ length: SIDE * SIDE }, (_, i) => ((i * 7 + b * 3) % 5 < (i < 392 ? 3 : 1) ? 1 : 0)),
      );
      const eps = (t: number) => [0, 1].map((b) => [0, 1, 2].map((k) => Math.sin(1 + 3 * t + 7 * b + k)));
      const got = model.bound(tf.tensor2d(x), (t) => tf.tensor2d(eps(t)));
      const [recon, kl] = [await flat(got.recon), await flat(got.kl)];
      for (const b of [0, 1]) {
        const want = drawRef(p, config, x[b], (t) => eps(t)[b]);
        assert.ok(Math.abs(recon[b] - want.recon) < 1e-4 * want.recon, `image ${b} recon ${recon[b]} vs ${want.recon}`);
        assert.ok(Math.abs(kl[b] - want.kl) < 1e-4 * Math.max(1, want.kl), `image ${b} kl ${kl[b]} vs ${want.kl}`);
      }
      disposeModule(model);
    });
  }
});

describe('binarized MNIST (data.view binary)', () => {
  it('is 0 or 1 per pixel, about as much ink as the intensities, fixed by the seed', () => {
    const split = {
      images: Float32Array.from({ length: 20000 }, (_, i) => (i % 10) / 9),
      labels: new Uint8Array(1),
      count: 1,
      shape: [1, 20000, 1] as const,
      classes: 10,
    };
    const a = binarize(split, 3, 'binarize-train');
    assert.ok(a.images.every((v) => v === 0 || v === 1));
    const ink = a.images.reduce((s: number, v) => s + v, 0) / a.images.length;
    assert.ok(Math.abs(ink - 0.5) < 0.02, `mean ${ink} for mean intensity 0.5`);
    assert.deepEqual(binarize(split, 3, 'binarize-train').images, a.images, 'the same seed, the same digits');
    assert.notDeepEqual(binarize(split, 4, 'binarize-train').images, a.images);
    const data = loadData(runConfigSchema.parse(tinyDraw())) as Dataset<ImageSet>;
    assert.ok(data.train.images.every((v) => v === 0 || v === 1) && data.test.images.every((v) => v === 0 || v === 1));
  });

  it('is the view DRAW takes, and DRAW has no batch norm', () => {
    assert.throws(
      () => runConfigSchema.parse({ ...tinyDraw(), data: { train: 40, test: 10, view: 'flat' } }),
      /draw binary/,
    );
    assert.throws(() => runConfigSchema.parse({ ...tinyDraw(), model: { kind: 'draw', norm: 'batch' } }));
  });
});

function tinyDraw(model: Record<string, unknown> = {}) {
  return {
    name: 'tiny-draw',
    data: { train: 60, test: 20, view: 'binary', seed: 2 },
    model: { kind: 'draw', hidden: 8, latent: 3, glimpses: 3, readSize: 2, writeSize: 3, ...model },
    train: { batchSize: 20, epochs: 3, learningRate: 1e-2, seed: 5 },
  };
}

describe('a tiny DRAW trains [wasm]', () => {
  before(async () => {
    await useBackend('wasm');
    enableFastPaths();
  });

  for (const norm of ['none', 'layer']) {
    it(`norm ${norm}: the bound falls, no tensor leaks, a rerun gives the same numbers, artifacts made`, async () => {
      const config = runConfigSchema.parse(tinyDraw({ norm }));
      const data = loadData(config);
      const before = tf.memory().numTensors;
      const a = await trainOn({ config, data });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      assert.equal(a.status, 'complete');
      const [first, last] = [a.rows[0], a.rows[a.rows.length - 1]];
      assert.ok(last.train_bound! < first.train_bound!, `train bound ${first.train_bound} -> ${last.train_bound}`);
      assert.ok(last.test_bound! < first.test_bound!, `test bound ${first.test_bound} -> ${last.test_bound}`);
      assert.ok(Math.abs(last.test_bound! - last.test_recon! - last.test_kl!) < 1e-3, 'bound = recon + KL');
      assert.equal(first.train_nll, undefined, 'the classification columns stay empty');
      const b = await trainOn({ config, data });
      const strip = (rows: typeof a.rows) => rows.map(({ seconds: _s, ...rest }) => rest);
      assert.deepEqual(strip(b.rows), strip(a.rows), 'determinism');
      assert.deepEqual(b.artifacts, a.artifacts, 'the same pictures');
      const samples = a.artifacts!.samples as { pixels: string };
      assert.equal(Buffer.from(samples.pixels, 'base64').length, 64 * SIDE * SIDE);
    });
  }
});
