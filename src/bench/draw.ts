// The bench's draw_step case: one training step of DRAW (paper section 6.4), plain and with layer-normalized LSTMs,
// with the fused cells and op by op, fast paths on: batch 64, 16 glimpses, 256 units, z of 100, Gregor et al.'s 2x2
// read and 5x5 write; its time and its kernels per step.
import * as tf from '@tensorflow/tfjs';
import { enableFastPaths, setFusedCells } from '../backend/fast';
import { buildDraw, type DrawModel } from '../models/draw';
import { disposeModule } from '../util/module';
import { drawSchema } from '../models/draw/spec';
import { Adam } from '../train/adam';
import type { BenchRow } from './cases';
import { lossStepKernels } from './kernels';
import { interleavedMediansMs, type Repeats } from './timing';

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

/** The kernels of one DRAW training step, with the fused cells or op by op. */
async function drawKernels(norm: 'none' | 'layer', batch: number, fused: boolean): Promise<number> {
  setFusedCells(fused);
  const s = drawStep(norm, batch);
  const n = await lossStepKernels(s.loss, s.model.parameters());
  s.dispose();
  return n;
}

/**
 * DRAW's and LN-DRAW's training steps with the fused cells and op by op (every other fast path on), timed in one
 * alternation, and the kernels each dispatches: one row per norm, its cost against plain DRAW's fused step.
 */
export async function drawStepCases(batch: number, repeats: Repeats): Promise<BenchRow[]> {
  enableFastPaths();
  const norms = ['none', 'layer'] as const;
  const steps = norms.map((norm) => drawStep(norm, batch));
  const adams = norms.map(() => new Adam({ learningRate: 1e-3 }));
  const calls = steps.flatMap((s, k) => {
    const step = () => adams[k].minimize(s.loss, s.model.parameters()).dispose();
    return [true, false].map((fused) => ({ setup: () => (setFusedCells(fused), step()), run: step }));
  });
  const ms = await interleavedMediansMs(calls, repeats);
  adams.forEach((a) => a.dispose());
  steps.forEach((s) => s.dispose());
  const rows: BenchRow[] = [];
  for (const [k, norm] of norms.entries()) {
    const [kernels, composite, plain] = [
      await drawKernels(norm, batch, true),
      await drawKernels(norm, batch, false),
      await drawKernels('none', batch, true),
    ];
    rows.push({
      case: 'draw_step',
      batch,
      norm,
      ours_ms: ms[2 * k],
      composite_ms: ms[2 * k + 1],
      ratio_composite: ms[2 * k + 1] / ms[2 * k],
      plain_ms: ms[0],
      overhead: ms[2 * k] / ms[0],
      kernels,
      kernels_composite: composite,
      kernels_plain: plain,
    });
  }
  setFusedCells(true);
  return rows;
}
