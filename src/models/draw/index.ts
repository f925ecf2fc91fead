// DRAW (Gregor et al. 2015) as the paper's section 6.4 trains it: an encoder LSTM reads the image and the error of
// the canvas so far, a Gaussian posterior gives z_t, a decoder LSTM writes onto the canvas; T steps. With
// `norm: layer` both LSTMs are LN-LSTMs (statistics per step, one gain/bias set shared over time), as in
// src/models/cells/lstm. The loss per example is the negative variational bound: the reconstruction term
// -log p(x | c_T) under Bernoulli(sigmoid(c_T)) plus the KL of every step's posterior to N(0, I).
import * as tf from '@tensorflow/tfjs';
import { PIXELS } from '../../data/mnist';
import { rngFor } from '../../data/rng';
import { normSpec } from '../../norm/catalog';
import { recordingGradients, tidyUnlessRecording } from '../../backend/gradients';
import { moduleOf, type Module } from '../../util/module';
import { CELLS } from '../cells/catalog';
import { createCell } from '../cells/registry';
import type { Cell, CellState } from '../cells/types';
import { denseKernel, zerosVariable } from '../init';
import type { BuildOptions, ModelEstimate, ModelImplementation } from '../types';
import { filterbank, read as attentiveRead, write as attentiveWrite } from './attention';
import type { DrawConfig } from './spec';

/** Values DRAW reads per step: the image and its error image, whole or through an N x N grid each. */
export const drawReadSize = (m: DrawConfig) => 2 * (m.attention === 'gaussian' ? m.readSize ** 2 : PIXELS);

/** A dense map h W + b. */
interface Dense {
  w: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
}

const apply = (d: Dense, h: tf.Tensor2D) => tf.add(tf.matMul(h, d.w), d.b) as tf.Tensor2D;

/** The bound's two terms per example, [b] each (nats). */
export interface BoundTerms {
  recon: tf.Tensor1D;
  kl: tf.Tensor1D;
}

/** z_t's noise at step t: eps [b, latent] ~ N(0, I) (the posterior's reparameterization, or the prior itself). */
export type Noise = (t: number) => tf.Tensor2D;

export interface DrawModel extends Module {
  /** Parameters by role (`enc/W_x`, `mu/w`, `write/b`, ...): tests set them. */
  readonly params: Record<string, tf.Variable>;
  /** The bound's terms for binarized images x [b, 784]. */
  bound(x: tf.Tensor2D, noise: Noise): BoundTerms;
  /** sigmoid(c_t) after each step t = 1..T while reconstructing x: T tensors [b, 784]. */
  canvases(x: tf.Tensor2D, noise: Noise): tf.Tensor2D[];
  /** sigmoid(c_t) after each step of generating from the prior (`noise` is z itself): T tensors [b, 784]. */
  generate(noise: Noise, batch: number): tf.Tensor2D[];
}

function dense(name: string, fanIn: number, fanOut: number, rng: () => number): Dense {
  return { w: denseKernel(`${name}/w`, fanIn, fanOut, rng), b: zerosVariable(`${name}/b`, fanOut) };
}

/** One of DRAW's LSTMs (norm none or layer). */
function lstm(config: DrawConfig, name: string, inputs: number, seed: number): Cell {
  const cellConfig = { ...config, cell: 'lstm' as const };
  return createCell({ config: cellConfig, inputs, rng: rngFor(seed, 'init', name), name: `draw/${name}`, seed });
}

interface Parts {
  enc: Cell;
  dec: Cell;
  mu: Dense;
  logSigma: Dense;
  /** Without attention: h -> 784 canvas values; with: h -> the N x N patch. */
  write: Dense;
  /** Attention only: h -> the 5 filterbank parameters of the read and of the write. */
  readAttention?: Dense;
  writeAttention?: Dense;
}

function buildParts(config: DrawConfig, seed: number): Parts {
  const H = config.hidden;
  const rng = rngFor(seed, 'init', 'draw');
  const gaussian = config.attention === 'gaussian';
  return {
    enc: lstm(config, 'encoder', drawReadSize(config) + H, seed),
    dec: lstm(config, 'decoder', config.latent, seed),
    mu: dense('draw/mu', H, config.latent, rng),
    logSigma: dense('draw/log_sigma', H, config.latent, rng),
    write: dense('draw/write', H, gaussian ? config.writeSize ** 2 : PIXELS, rng),
    ...(gaussian
      ? {
          readAttention: dense('draw/read_attention', H, 5, rng),
          writeAttention: dense('draw/write_attention', H, 5, rng),
        }
      : {}),
  };
}

/** What one step carries to the next. */
interface Carry {
  enc: CellState;
  dec: CellState;
  canvas: tf.Tensor2D;
  /** Summed KL so far, [b] (stays 0 when generating). */
  kl: tf.Tensor1D;
}

/** 0.5 sum_k (mu^2 + sigma^2 - log sigma^2 - 1): KL(N(mu, sigma^2) || N(0, I)) per example. */
export function klToStandardNormal(mu: tf.Tensor2D, logSigma: tf.Tensor2D): tf.Tensor1D {
  const terms = tf.sub(tf.add(tf.square(mu), tf.exp(tf.mul(2, logSigma))), tf.add(tf.mul(2, logSigma), 1));
  return tf.mul(0.5, tf.sum(terms, 1)) as tf.Tensor1D;
}

/** -log Bernoulli(x | sigmoid(c)) summed over pixels, [b]: softplus(c) - x c, stable for any c. */
export function reconstruction(x: tf.Tensor2D, canvas: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.sub(tf.softplus(canvas), tf.mul(x, canvas)), 1) as tf.Tensor1D;
}

/** DRAW's step functions over `p`: one step of reconstructing x (encode, sample, decode, write), one of generating. */
function stepper(p: Parts, config: DrawConfig) {
  const writeOf = (h: tf.Tensor2D) =>
    p.writeAttention
      ? attentiveWrite(apply(p.write, h), filterbank(apply(p.writeAttention, h), config.writeSize))
      : apply(p.write, h);
  const readOf = (x: tf.Tensor2D, xhat: tf.Tensor2D, h: tf.Tensor2D) =>
    p.readAttention
      ? attentiveRead(x, xhat, filterbank(apply(p.readAttention, h), config.readSize))
      : tf.concat([x, xhat], 1);
  const encodeStep = (x: tf.Tensor2D, s: Carry, t: number, noise: Noise): Carry => {
    const xhat = tf.sub(x, tf.sigmoid(s.canvas)) as tf.Tensor2D;
    const r = readOf(x, xhat, s.dec.h);
    const enc = p.enc.step(tf.concat([r, s.dec.h], 1), s.enc, t, true);
    const mu = apply(p.mu, enc.h);
    const logSigma = apply(p.logSigma, enc.h);
    const z = tf.add(mu, tf.mul(tf.exp(logSigma), noise(t))) as tf.Tensor2D;
    const dec = p.dec.step(z, s.dec, t, true);
    const kl = tf.add(s.kl, klToStandardNormal(mu, logSigma)) as tf.Tensor1D;
    return { enc, dec, canvas: tf.add(s.canvas, writeOf(dec.h)) as tf.Tensor2D, kl };
  };
  const generateStep = (s: Carry, t: number, noise: Noise): Carry => {
    const dec = p.dec.step(noise(t), s.dec, t, true);
    return { ...s, dec, canvas: tf.add(s.canvas, writeOf(dec.h)) as tf.Tensor2D };
  };
  return { encodeStep, generateStep };
}

const carryTensors = (s: Carry): tf.Tensor[] => {
  const all: (tf.Tensor | undefined)[] = [s.enc.h, s.enc.c, s.dec.h, s.dec.c, s.canvas, s.kl];
  return all.filter((x): x is tf.Tensor => x !== undefined);
};

/** Runs T steps of `step` from the initial state; calls `each` with every step's carry (e.g. to keep canvases). */
function runSteps(p: Parts, T: number, batch: number, step: (s: Carry, t: number) => Carry, each?: (s: Carry) => void) {
  let s: Carry = {
    enc: p.enc.initial(batch),
    dec: p.dec.initial(batch),
    canvas: tf.zeros([batch, PIXELS]),
    kl: tf.zeros([batch]),
  };
  for (let t = 0; t < T; t++) {
    const prev = s;
    // Without a gradient to record, each step frees its intermediates (tf.tidy keeps what it returns) and the
    // previous state, so that a forward pass holds one state, not T.
    s = tidyUnlessRecording(() => {
      const next = step(prev, t);
      each?.(next);
      return next as unknown as tf.TensorContainer;
    }) as unknown as Carry;
    if (!recordingGradients()) {
      const kept = new Set(carryTensors(s));
      tf.dispose(carryTensors(prev).filter((x) => !kept.has(x)));
    }
  }
  return s;
}

/** DRAW on binarized 28x28 images (data.shape [784]). */
export function buildDraw({ config, seed }: Pick<BuildOptions<DrawConfig>, 'config' | 'seed'>): DrawModel {
  const p = buildParts(config, seed);
  const { encodeStep, generateStep } = stepper(p, config);
  const T = config.glimpses;
  /** sigmoid(c_t) of every step of `step`. */
  const canvases = (batch: number, step: (s: Carry, t: number) => Carry) => {
    const out: tf.Tensor2D[] = [];
    tf.tidy(() => void runSteps(p, T, batch, step, (c) => out.push(tf.keep(tf.sigmoid(c.canvas)))));
    return out;
  };
  const weights: [string, tf.Variable][] = denseEntries(p).flatMap(([k, d]): [string, tf.Variable][] => [
    [`${k}/w`, d.w],
    [`${k}/b`, d.b],
  ]);
  return {
    ...moduleOf([p.enc, p.dec, ...weights.map(([, v]) => v)]),
    params: { ...prefixed('enc', p.enc.params), ...prefixed('dec', p.dec.params), ...Object.fromEntries(weights) },
    bound(x, noise) {
      const s = runSteps(p, T, x.shape[0], (c, t) => encodeStep(x, c, t, noise));
      return { recon: reconstruction(x, s.canvas), kl: s.kl };
    },
    canvases: (x, noise) => canvases(x.shape[0], (c, t) => encodeStep(x, c, t, noise)),
    generate: (noise, batch) => canvases(batch, (c, t) => generateStep(c, t, noise)),
  };
}

const prefixed = (prefix: string, params: Record<string, tf.Variable>) =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [`${prefix}/${k}`, v]));

function denseEntries(p: Parts): [string, Dense][] {
  const all: [string, Dense | undefined][] = [
    ['mu', p.mu],
    ['log_sigma', p.logSigma],
    ['write', p.write],
    ['read_attention', p.readAttention],
    ['write_attention', p.writeAttention],
  ];
  return all.filter((e): e is [string, Dense] => e[1] !== undefined);
}

/**
 * JavaScript heap per glimpse of a training step (tfjs's tensor and tape objects, whatever the sizes): one step of
 * a hidden-8 DRAW ran out of a 256 MB heap between 800 and 1,200 glimpses (wasm, Gaussian attention, either norm;
 * about 250 KB a glimpse), so 12,000 glimpses need some 3-4 GB.
 */
const HEAP_PER_GLIMPSE = 400 * 1024;

/**
 * Two LSTMs, the posterior's and the write's maps (and the attention's). Per step: both cells, z and its posterior,
 * and some five image-sized values (the error image, the canvas and its sigmoid, the write, its filterbank product);
 * a forward pass holds a few more images at once (the input, the bound's terms).
 */
function estimateDraw(config: DrawConfig): ModelEstimate {
  const H = config.hidden;
  const read = drawReadSize(config);
  const lstm = CELLS.lstm;
  const lstmParameters = (inputs: number) => lstm.parameters(inputs, H, normSpec(config.norm));
  const gaussian = config.attention === 'gaussian';
  const write = gaussian ? (H + 1) * (config.writeSize ** 2 + 5) + (H + 1) * 5 : (H + 1) * PIXELS;
  const parameters = lstmParameters(read + H) + lstmParameters(config.latent) + 2 * (H + 1) * config.latent + write;
  const cells = lstm.stepUnits(read + H, H) + lstm.stepUnits(config.latent, H);
  const step = cells + 4 * config.latent + 5 * PIXELS;
  return {
    parameters,
    units: config.glimpses * step + PIXELS,
    widest: cells + 8 * PIXELS,
    heap: { bytes: config.glimpses * HEAP_PER_GLIMPSE, key: 'model.glimpses' },
  };
}

export const implementation: ModelImplementation<DrawConfig, DrawModel> = {
  build: buildDraw,
  estimate: estimateDraw,
};
