// Kernels a training step dispatches, as tf.profile records them: a measure of how fused a step is that does not
// depend on the machine (on a GPU, dispatches rather than arithmetic bound a small step). Identity and Reshape
// move no data and are not counted.
import * as tf from '@tensorflow/tfjs';
import { disableFastPaths, enableFastPaths, setFusedCells } from '../backend/fast';
import { variableFrom } from '../util/variables';
import { meanNll } from '../metrics/classification';
import type { Classifier } from '../models/types';
import type { NormKind } from '../norm/catalog';
import { disposeModule } from '../util/module';
import { Adam } from '../train/adam';
import { cellModel, compositeOf, cyclicLabels, oursMlp, oursNorm, random, type NormCase } from './cases';

const FREE = new Set(['Identity', 'Reshape']);

/** Kernels of one Adam step on `loss`, after a first step (Adam's slots, lazily made state). */
export async function lossStepKernels(loss: () => tf.Scalar, vars: tf.Variable[]): Promise<number> {
  const adam = new Adam({ learningRate: 1e-3 });
  const step = () => adam.minimize(loss, vars).dispose();
  step();
  const profile = await tf.profile(step);
  adam.dispose();
  return profile.kernels.filter((k) => !FREE.has(k.name)).length;
}

/** Kernels of one training step of `model` on a batch. */
async function stepKernels(model: Classifier, x: tf.Tensor, batch: number): Promise<number> {
  const y = cyclicLabels(batch);
  const n = await lossStepKernels(() => meanNll(model.logits(x, true), y), model.parameters());
  y.dispose();
  return n;
}

/** The MLP step's kernels with the fast paths as this backend has them, and with every fast path off. */
export async function mlpStepKernels(norm: NormKind, batch: number): Promise<{ kernels: number; composite: number }> {
  const x = random([batch, 784], 3);
  const count = async (paths: () => void) => {
    paths();
    const model = oursMlp(norm);
    const n = await stepKernels(model, x, batch);
    disposeModule(model);
    return n;
  };
  const composite = await count(disableFastPaths);
  const kernels = await count(enableFastPaths);
  x.dispose();
  return { kernels, composite };
}

/** A cell's training step's kernels (cellModel's), with the fused cells and op by op, every other fast path on. */
export async function cellStepKernels(
  cell: 'lstm' | 'gru',
  norm: NormKind,
  batch: number,
): Promise<{ kernels: number; composite: number }> {
  enableFastPaths();
  const x = random([batch, 28 * 28], 5);
  const count = async (fused: boolean) => {
    setFusedCells(fused);
    const model = cellModel(cell, norm);
    const k = await stepKernels(model, x, batch);
    disposeModule(model);
    return k;
  };
  const composite = await count(false);
  const kernels = await count(true);
  x.dispose();
  return { kernels, composite };
}

/** A norm case's forward and backward on [n, d]: kernels with the fast paths and without. */
export async function normKernels(
  kind: NormCase,
  shape: [number, number],
): Promise<{ kernels: number; composite: number }> {
  const x = variableFrom('bench/kernels/x', () => random(shape, 1));
  const count = async (
    paths: () => void,
    norm: () => { apply(x: tf.Tensor): tf.Tensor; parameters: tf.Variable[]; dispose(): void },
  ) => {
    paths();
    const n = norm();
    const profile = await tf.profile(() => tf.tidy(() => void tf.grads((a: tf.Tensor) => tf.sum(n.apply(a)))([x])));
    n.dispose();
    return profile.kernels.filter((k) => !FREE.has(k.name)).length;
  };
  const ours = () => {
    const layer = oursNorm(kind, shape[1]);
    return {
      apply: (a: tf.Tensor) => layer.apply(a as tf.Tensor2D, true),
      parameters: layer.parameters(),
      dispose: () => disposeModule(layer),
    };
  };
  const composite = await count(disableFastPaths, () => compositeOf(kind, shape[1]));
  const kernels = await count(enableFastPaths, ours);
  x.dispose();
  return { kernels, composite };
}
