// data.source fashion: Fashion-MNIST (Xiao et al. 2017, MIT licence; 60,000 + 10,000 28x28 images of 10 kinds of
// clothing) as Debian's package dataset-fashion-mnist installs it.
import { loadIdx, type IdxSource } from '../idx';
import { IDX_DIR } from './idx';
import type { ImageSource } from './types';

/** Where Debian's dataset-fashion-mnist puts the Fashion-MNIST IDX files. */
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** Debian's files (--reinstall also restores a deleted or damaged file). */
export function fashionSource(dir: string): IdxSource {
  const apt = '`sudo apt-get install --reinstall dataset-fashion-mnist`';
  return {
    dir,
    kind: 'Fashion-MNIST',
    label: `data.source fashion (${dir})`,
    missing: `install Debian's Fashion-MNIST: ${apt}; elsewhere use data.source idx with data.dir naming a folder of the Fashion-MNIST IDX files`,
    corrupt: `reinstall it: ${apt}`,
    origin: `fashion (Fashion-MNIST, Debian dataset-fashion-mnist, ${dir})`,
  };
}

export const fashion: ImageSource = {
  name: 'fashion',
  load: (cfg, prepare) => loadIdx(cfg, prepare, fashionSource(FASHION_DIR)),
  refuse: (cfg) =>
    cfg.dir === IDX_DIR
      ? undefined
      : {
          key: 'dir',
          message: `applies to data.source idx only; fashion reads Debian's files in ${FASHION_DIR} (for Fashion-MNIST elsewhere use data.source idx with data.dir)`,
        },
};
