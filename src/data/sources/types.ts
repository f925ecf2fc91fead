// What a source of images is to the data layer: a data.source name and a loader of its train and test images.
import type { Dataset, ImageSet } from '../types';

/** The data keys every image source reads (data.*). */
export interface ImageSourceConfig {
  source: string;
  /** Folder of IDX files (data.source idx). */
  dir: string;
  /** Training and test examples: seeded subsets when fewer than the source holds. */
  train: number;
  test: number;
  seed: number;
}

/**
 * A change made to a whole source file before any subset is taken (binarization for DRAW), so that an example's
 * values depend on data.seed and the example only; `purpose` names the file's own random stream.
 */
export type Prepare = (set: ImageSet, purpose: string) => ImageSet;

export interface ImageSource {
  /** data.source's value. */
  readonly name: string;
  /** The run's training and test images (UserError naming the file and the fix when data is missing or corrupt). */
  load(cfg: ImageSourceConfig, prepare: Prepare): Dataset<ImageSet>;
  /** Why `cfg` does not suit this source (e.g. a data.dir it does not read), or undefined. */
  refuse?(cfg: ImageSourceConfig): { key: string; message: string } | undefined;
}
