// Pictures of pen-stroke sequences (src/tasks/handwriting/strokes-picture.ts): a hand-made L of two strokes drawn with the
// pen semantics (ink on both strokes, nothing on the pen-up jump nor from the origin), the aspect and the per-axis
// scale kept, sequences of zero extent or with NaN, the grid's layout, and the NLL colours.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitTile,
  nllColour,
  nllRange,
  nllTiles,
  strokePoints,
  strokeTiles,
  type XY,
} from '../src/tasks/handwriting/strokes-picture';

/** Absolute points (grid units) with their pen-up as a flat sequence of offsets divided by `std`. */
function sequenceOf(points: readonly [number, number, number][], std: [number, number]): number[] {
  const out: number[] = [];
  let [px, py] = [0, 0];
  for (const [x, y, up] of points) {
    out.push((x - px) / std[0], (y - py) / std[1], up);
    [px, py] = [x, y];
  }
  return out;
}

/** An L: a stroke down at x = -50, pen up, a stroke right at y = 50 from x = 0; the origin inside its box. */
const L_POINTS: [number, number, number][] = [
  [-50, -50, 0],
  [-50, -25, 0],
  [-50, 0, 0],
  [-50, 25, 0],
  [-50, 50, 1],
  [0, 50, 0],
  [25, 50, 0],
  [50, 50, 1],
];
const STD: [number, number] = [2, 5];
const L_SEQUENCE = sequenceOf(L_POINTS, STD);
const SIDE = 48;

/** Pixel coordinates of grid point (x, y) of the L's tile, and the tile's value (channel c) there. */
const toPixel = fitTile(strokePoints(L_SEQUENCE, STD), SIDE);
function at(pixels: Uint8Array, p: { x: number; y: number; c?: number; channels?: number }): number {
  const q = toPixel(p);
  const channels = p.channels ?? 1;
  return pixels[(Math.floor(q.y) * SIDE + Math.floor(q.x)) * channels + (p.c ?? 0)];
}
const rgbAt = (pixels: Uint8Array, p: XY) => [0, 1, 2].map((c) => at(pixels, { ...p, c, channels: 3 }));

/** Distance from (x, y) to the segment a-b. */
function distance(x: number, y: number, a: XY, b: XY): number {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const t = Math.min(1, Math.max(0, ((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (a.x + t * dx), y - (a.y + t * dy));
}

/** The lit pixels' bounding box of a greyscale tile (pixels above 0). */
function litBox(pixels: Uint8Array, side: number) {
  const box = { x0: side, x1: -1, y0: side, y1: -1 };
  pixels.forEach((v, i) => {
    if (v === 0) return;
    const [x, y] = [i % side, Math.floor(i / side)];
    Object.assign(box, { x0: Math.min(box.x0, x), x1: Math.max(box.x1, x), y0: Math.min(box.y0, y) });
    box.y1 = Math.max(box.y1, y);
  });
  return box;
}

describe('stroke pictures: an L of two strokes', () => {
  const tiles = strokeTiles({ std: STD, bias: 0, sequences: [L_SEQUENCE] }, { side: SIDE });

  it('is one greyscale tile of the side asked', () => {
    assert.deepEqual([tiles.rows, tiles.cols, tiles.side, tiles.channels], [1, 1, SIDE, 1]);
    assert.equal(tiles.pixels.length, SIDE * SIDE);
  });

  it('inks both strokes', () => {
    for (const y of [-45, -37.5, 0, 12.5, 45]) assert.ok(at(tiles.pixels, { x: -50, y }) >= 200, `down stroke, y ${y}`);
    for (const x of [5, 12.5, 37.5, 45]) assert.ok(at(tiles.pixels, { x, y: 50 }) >= 200, `right stroke, x ${x}`);
  });

  it('leaves the pen-up jump and the move from the origin to the first point blank', () => {
    for (const x of [-40, -25, -10]) assert.equal(at(tiles.pixels, { x, y: 50 }), 0, `jump, x ${x}`);
    for (const v of [-40, -25, -10, 0]) assert.equal(at(tiles.pixels, { x: v, y: v }), 0, `from the origin, ${v}`);
  });

  it('lights no pixel further than the line width from the two strokes', () => {
    const strokes = [
      [toPixel({ x: -50, y: -50 }), toPixel({ x: -50, y: 50 })],
      [toPixel({ x: 0, y: 50 }), toPixel({ x: 50, y: 50 })],
    ];
    tiles.pixels.forEach((v, i) => {
      if (v === 0) return;
      const [x, y] = [(i % SIDE) + 0.5, Math.floor(i / SIDE) + 0.5];
      const d = Math.min(...strokes.map(([a, b]) => distance(x, y, a, b)));
      assert.ok(d < 1.5, `pixel (${x}, ${y}) lit ${v}, ${d.toFixed(2)} pixels from the strokes`);
    });
  });

  it('fits the box into the tile, centred, its edges and centre on pixel centres', () => {
    // side 48: margins of 2 and 3 pixels, the box's 100 grid units from pixel centre 3.5 to 45.5, its centre 24.5.
    assert.deepEqual(toPixel({ x: -50, y: -50 }), { x: 3.5, y: 3.5 });
    assert.deepEqual(toPixel({ x: 50, y: 50 }), { x: 45.5, y: 45.5 });
    assert.deepEqual(toPixel({ x: 0, y: 0 }), { x: 24.5, y: 24.5 });
  });
});

describe('stroke pictures: fitting', () => {
  it('keeps the aspect: a horizontal line is horizontal and fills the width', () => {
    const line = sequenceOf(
      [
        [0, 0, 0],
        [30, 0, 0],
        [60, 0, 1],
      ],
      [1, 1],
    );
    const { pixels } = strokeTiles({ std: [1, 1], bias: 0, sequences: [line] }, { side: 96 });
    const box = litBox(pixels, 96);
    assert.ok(box.y1 - box.y0 <= 2, `rows ${box.y0}-${box.y1}`);
    assert.ok(Math.abs((box.y0 + box.y1) / 2 - 48) <= 1, `centred vertically: rows ${box.y0}-${box.y1}`);
    assert.ok(box.x0 <= 6 && box.x1 >= 89, `columns ${box.x0}-${box.x1}`);
  });

  it('scales each axis by its std before fitting, one scale for both: a rectangle 2:1 in grid units stays 2:1', () => {
    const std: [number, number] = [3, 0.5];
    const rectangle = sequenceOf(
      [
        [0, 0, 0],
        [100, 0, 0],
        [100, 50, 0],
        [0, 50, 0],
        [0, 0, 1],
      ],
      std,
    );
    const { pixels } = strokeTiles({ std, bias: 0, sequences: [rectangle] }, { side: 96 });
    const box = litBox(pixels, 96);
    const ratio = (box.x1 - box.x0) / (box.y1 - box.y0);
    assert.ok(Math.abs(ratio - 2) < 0.1, `width / height ${ratio}`);
  });
});

describe('stroke pictures: degenerate sequences', () => {
  const draw = (sequences: number[][]) => strokeTiles({ std: [1, 1], bias: 0, sequences }, { side: 32 }).pixels;

  it('draws a sequence of zero extent as a dot at the centre', () => {
    for (const sequence of [
      [0.3, -0.2, 1],
      [0, 0, 0, 0, 0, 0, 0, 0, 1],
      [5, 5, 0, 0, 0, 1],
    ]) {
      const pixels = draw([sequence]);
      assert.equal(pixels[16 * 32 + 16], 255, `${sequence}: the centre`);
      const box = litBox(pixels, 32);
      assert.ok(box.x1 - box.x0 <= 3 && box.y1 - box.y0 <= 3, `${sequence}: a dot, ${JSON.stringify(box)}`);
    }
  });

  it('skips points whose offsets are not finite: the pen stays at the last finite point', () => {
    const sequence = [10, 0, 0, NaN, 0, 0, 10, 0, 0, 10, Infinity, 0, 0, 10, 1];
    const points = strokePoints(sequence, [1, 1]);
    assert.deepEqual(points, [{ x: 10, y: 0 }, undefined, { x: 20, y: 0 }, undefined, { x: 20, y: 10 }]);
    assert.deepEqual(strokePoints([1e308, 0, 0, 1e308, 0, 1], [1, 1]), [{ x: 1e308, y: 0 }, undefined]);
  });

  it('draws what is finite of sequences with NaN, Infinity, overflowing sums or NaN pen-ups, and never throws', () => {
    const sequences = [
      [10, 0, 0, NaN, 0, 0, 10, 0, 0, 10, 0, 1],
      [NaN, NaN, NaN, NaN, NaN, NaN],
      [Infinity, 0, 0, 1, 1, 0, -Infinity, 2, 1],
      [1e308, 0, 0, -1e308, 0, 0, -1e308, 0, 1],
      [0, 0, NaN, 10, 10, 0, 5, 0, 1],
      [],
    ];
    const pixels = draw(sequences);
    const tile = (i: number) => pixels.subarray(i * 32 * 32, (i + 1) * 32 * 32);
    assert.ok(
      tile(0).some((v) => v > 0),
      'the finite part of the first',
    );
    assert.ok(
      tile(1).every((v) => v === 0),
      'all NaN: nothing',
    );
    for (const i of [2, 3, 4])
      assert.ok(
        tile(i).some((v) => v > 0),
        `sequence ${i}: something`,
      );
    assert.ok(
      tile(5).every((v) => v === 0),
      'empty: nothing',
    );
    const colour = nllTiles({ std: [1, 1], sequences, nll: sequences.map(() => [NaN, Infinity, -Infinity]) });
    assert.deepEqual([colour.rows, colour.cols, colour.pixels.length], [2, 3, 2 * 3 * 96 * 96 * 3]);
  });
});

describe('stroke pictures: the grid', () => {
  /** Sequence i: a line from the origin's neighbourhood at angle i * 30 degrees (each tile different). */
  const rays = Array.from({ length: 5 }, (_, i) => {
    const a = (i * Math.PI) / 6;
    return [1, 1, 0, 10 * Math.cos(a), 10 * Math.sin(a), 1];
  });

  it('lays 5 sequences out 3 a row, in order, the last row padded black', () => {
    const grid = strokeTiles({ std: [1, 1], bias: 0, sequences: rays }, { side: 20, cols: 3 });
    assert.deepEqual([grid.rows, grid.cols, grid.side], [2, 3, 20]);
    assert.equal(grid.pixels.length, 6 * 20 * 20);
    rays.forEach((ray, i) => {
      const alone = strokeTiles({ std: [1, 1], bias: 0, sequences: [ray] }, { side: 20 }).pixels;
      assert.deepEqual(grid.pixels.subarray(i * 400, (i + 1) * 400), alone, `tile ${i}`);
    });
    assert.ok(
      grid.pixels.subarray(5 * 400).every((v) => v === 0),
      'the padding tile',
    );
  });

  it('defaults to ceil(sqrt(n)) columns and tiles of 96 pixels, and refuses a side or cols that is not an integer >= 1', () => {
    const grid = strokeTiles({ std: [1, 1], bias: 0, sequences: rays });
    assert.deepEqual([grid.rows, grid.cols, grid.side], [2, 3, 96]);
    for (const opts of [{ side: 0 }, { side: 2.5 }, { cols: 0 }, { cols: NaN }])
      assert.throws(() => strokeTiles({ std: [1, 1], bias: 0, sequences: rays }, opts), RangeError);
  });
});

describe('stroke pictures: NLL colours', () => {
  // Ink points 1-4 (the down stroke) cost 1 nat, 6-7 (the right stroke) 9: the range is [1, 9] (5th-95th percentile),
  // the jump's 30 nats (point 5) left out; it would stretch the range's top to 23.7, the right stroke then green.
  const artifact = { std: STD, sequences: [L_SEQUENCE], nll: [[0, 1, 1, 1, 1, 30, 9, 9]] };
  const tiles = nllTiles(artifact, { side: SIDE });

  it('spans the 5th-95th percentile of the ink points, jumps and the first point left out', () => {
    assert.deepEqual(nllRange(artifact), [1, 9]);
    assert.deepEqual([tiles.channels, tiles.pixels.length], [3, SIDE * SIDE * 3]);
  });

  it('colours the cheap stroke with the low colour and the costly one with the high colour', () => {
    assert.deepEqual(rgbAt(tiles.pixels, { x: -50, y: 0 }), nllColour(0));
    assert.deepEqual(rgbAt(tiles.pixels, { x: 37.5, y: 50 }), nllColour(1));
    assert.deepEqual(nllColour(0), [40, 90, 255], 'blue');
    assert.deepEqual(nllColour(1), [255, 40, 20], 'red');
  });

  it('draws the pen-up jump dim in the colour of its NLL, and nothing from the origin', () => {
    const dim = nllColour(1).map((c) => Math.round(c * 0.45));
    assert.deepEqual(rgbAt(tiles.pixels, { x: -25, y: 50 }), dim);
    assert.deepEqual(rgbAt(tiles.pixels, { x: -25, y: -25 }), [0, 0, 0]);
  });

  it('runs blue, cyan, green, yellow, red; clamps; white for NaN', () => {
    assert.deepEqual(nllColour(0.5), [40, 210, 40]);
    assert.deepEqual(nllColour(0.125), [20, 145, 243]);
    assert.deepEqual(nllColour(-3), nllColour(0));
    assert.deepEqual(nllColour(Infinity), nllColour(1));
    assert.deepEqual(nllColour(NaN), [255, 255, 255]);
  });
});
