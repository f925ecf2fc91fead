// The bench's draw_step case: one training step of DRAW (paper section 6.4) with layer-normalized LSTMs against the
// same step without, fast paths on: batch 64, 16 glimpses, 256 units, z of 100, Gregor et al.'s 2x2 read and 5x5
// write; its time and its kernels per step.
import * as tf from '@tensorflow/tfjs';
import { enableFastPaths } from '../backend/fast';
import { buildDraw, type DrawModel } from '../models/draw';
import { disposeModule } from '../util/module';
import { drawSchema } from '../models/draw/spec';
import { Adam } from '../train/adam';
import type { BenchRow } from './cases';
import { lossStepKernels } from './kernels';
import { medianMs, type Repeats } from './timing';

const STEPS = 16;

interface DrawStep {
  model: DrawModel;
  loss: () => tf.Scalar;
  dispose(): void;
}

/** The model, a seeded binary batch and fixed noise, and the training objective (mean negative bound). */
function drawStep(norm: 'none' | 'layer', batch: number): DrawStep {
  const config = drawSchema.parse({ kind: 'draw', hidden: 256, latent: 100, glimpses: STEPS, norm });
  const model = buildDraw({ config, seed: 1 });
  const x = tf.tidy(() => tf.cast(tf.less(tf.randomUniform([batch, 784], 0, 1, 'float32', 7), 0.2), 'float32'));
  const noise = tf.randomNormal([STEPS, batch, config.latent], 0, 1, 'float32', 8);
  const loss = () => {
    const { recon, kl } = model.bound(x as tf.Tensor2D, (t) =>
      tf.squeeze(tf.slice(noise, [t, 0, 0], [1, -1, -1]), [0]),
    );
    return tf.mean(tf.add(recon, kl)) as tf.Scalar;
  };
  return { model, loss, dispose: () => (disposeModule(model), tf.dispose([x, noise])) };
}

async function stepMs(norm: 'none' | 'layer', batch: number, repeats: Repeats): Promise<number> {
  const s = drawStep(norm, batch);
  const adam = new Adam({ learningRate: 1e-3 });
  const ms = await medianMs(() => adam.minimize(s.loss, s.model.parameters()).dispose(), repeats);
  adam.dispose();
  s.dispose();
  return ms;
}

/** LN-DRAW's training step against DRAW's, and the kernels each dispatches. */
export async function drawStepCase(batch: number, repeats: Repeats): Promise<BenchRow> {
  enableFastPaths();
  const kernels = async (norm: 'none' | 'layer') => {
    const s = drawStep(norm, batch);
    const n = await lossStepKernels(s.loss, s.model.parameters());
    s.dispose();
    return n;
  };
  const plain = await stepMs('none', batch, repeats);
  const ours = await stepMs('layer', batch, repeats);
  return {
    case: 'draw_step',
    batch,
    norm: 'layer',
    ours_ms: ours,
    stock_ms: plain,
    ratio: plain / ours,
    plain_ms: plain,
    overhead: ours / plain,
    kernels: await kernels('layer'),
    kernels_plain: await kernels('none'),
  };
}
