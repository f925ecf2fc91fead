// Where a run writes its metrics rows: at each epoch's end, and between them where train.evalEvery or
// train.evalsPerEpoch asks. No tfjs: the claim checks ask it too.
import type { TrainConfig } from './spec';

/**
 * Whether update `step` (overall, 1-based), the `inEpoch`-th of an epoch of `perEpoch` updates, ends with a row:
 * the epoch's last, a multiple of evalEvery, or the first update at or past each k-th of the epoch (evalsPerEpoch k).
 */
export function rowAfter(
  train: Pick<TrainConfig, 'evalEvery' | 'evalsPerEpoch'>,
  step: number,
  inEpoch: number,
  perEpoch: number,
): boolean {
  if (inEpoch === perEpoch) return true;
  if (train.evalEvery !== undefined && step % train.evalEvery === 0) return true;
  const k = train.evalsPerEpoch;
  return k !== undefined && Math.floor((inEpoch * k) / perEpoch) > Math.floor(((inEpoch - 1) * k) / perEpoch);
}
