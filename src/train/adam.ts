// Adam (Kingma & Ba 2015) with its moments kept per variable; one fused kernel per variable on cpu, wasm (a SIMD
// loop there) and webgpu (a WGSL shader), composite tfjs ops elsewhere. Same arithmetic as tf.train.adam (tests
// compare the two).
import * as tf from '@tensorflow/tfjs';
import { ADAM, type AdamAttrs } from '../backend/kernels/adam';
import { ADAM_DEFAULTS, type TrainConfig } from './spec';
import { hasKernel, runKernel } from '../backend/kernels/js-kernel';
import { variableFrom } from '../util/variables';

/** train.learningRate, train.clipNorm (unset: no clipping) and Adam's constants (the schema's defaults when unset). */
export type AdamOptions = Pick<TrainConfig, 'learningRate' | 'clipNorm'> &
  Partial<Pick<TrainConfig, 'adamBeta1' | 'adamBeta2' | 'adamEpsilon'>>;

interface Slots {
  m: tf.Variable;
  v: tf.Variable;
}

export class Adam {
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm?: number;
  private readonly slots = new Map<tf.Variable, Slots>();
  private step = 0;

  constructor(opts: AdamOptions) {
    this.lr = opts.learningRate;
    this.beta1 = opts.adamBeta1 ?? ADAM_DEFAULTS.beta1;
    this.beta2 = opts.adamBeta2 ?? ADAM_DEFAULTS.beta2;
    this.epsilon = opts.adamEpsilon ?? ADAM_DEFAULTS.epsilon;
    this.clipNorm = opts.clipNorm;
  }

  /**
   * Gradients of `loss` for `vars`, then one update; returns the loss before the update as a scalar on the device
   * (the caller reads it when it likes, asynchronously, and disposes it): no read-back here, so that a GPU is not
   * waited on between steps.
   */
  minimize(loss: () => tf.Scalar, vars: tf.Variable[]): tf.Scalar {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, vars);
      let pairs: [tf.Variable, tf.Tensor][] = vars.map((v) => [v, grads[v.name]]);
      if (this.clipNorm !== undefined) pairs = clipByGlobalNorm(pairs, this.clipNorm);
      this.apply(pairs);
      return value;
    });
  }

  apply(pairs: [tf.Variable, tf.Tensor][]): void {
    this.step += 1;
    const attrs: AdamAttrs = {
      learningRate: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      correction1: 1 - this.beta1 ** this.step,
      correction2: 1 - this.beta2 ** this.step,
    };
    const fused = hasKernel(ADAM);
    tf.tidy(() => {
      for (const [param, grad] of pairs) {
        const { m, v } = this.slotsOf(param);
        const [p2, m2, v2] = fused
          ? runKernel(ADAM, { param, grad, m, v }, attrs)
          : composite(param, grad, m, v, attrs);
        param.assign(p2);
        m.assign(m2);
        v.assign(v2);
      }
    });
  }

  private slotsOf(param: tf.Variable): Slots {
    let s = this.slots.get(param);
    if (!s) {
      s = {
        m: variableFrom(`${param.name}/adam_m`, () => tf.zerosLike(param), false),
        v: variableFrom(`${param.name}/adam_v`, () => tf.zerosLike(param), false),
      };
      this.slots.set(param, s);
    }
    return s;
  }

  dispose(): void {
    for (const { m, v } of this.slots.values()) tf.dispose([m, v]);
    this.slots.clear();
  }
}

/** g * clip / max(||g||, clip), ||g|| the L2 norm of all gradients together (no read-back to JS). */
export function clipByGlobalNorm(pairs: [tf.Variable, tf.Tensor][], clip: number): [tf.Variable, tf.Tensor][] {
  const norm = tf.sqrt(tf.addN(pairs.map(([, g]) => tf.sum(tf.square(g)))));
  const scale = tf.div(clip, tf.maximum(norm, clip));
  return pairs.map(([v, g]) => [v, tf.mul(g, scale)]);
}

function composite(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: AdamAttrs): tf.Tensor[] {
  const m2 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
  const v2 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
  const update = tf.div(tf.div(m2, a.correction1), tf.add(tf.sqrt(tf.div(v2, a.correction2)), a.epsilon));
  return [tf.sub(p, tf.mul(update, a.learningRate)), m2, v2];
}
