// Pictures of pen-stroke sequences (Graves 2013, "Generating Sequences With Recurrent Neural Networks", section 4:
// points of (dx, dy, pen-up), offsets from the previous point): each sequence drawn into a square tile, white ink on
// black (samples), or its segments coloured by the model's per-point NLL (test sequences). Pure TypeScript (no tfjs,
// no node:fs): src/tasks/handwriting/spec.ts hands these to the report (src/report/pictures.ts writes the PNGs).
import type { Tiles } from '../spec';

/** Sequences sampled from a model: `sequences[i]` flat (dx, dy, pen-up) triples in units of `std`. */
export interface StrokeSamplesArtifact {
  /** Grid units per unit of dx and of dy (screen convention, y down): dx * std[0] is the offset in grid units. */
  std: [number, number];
  /** The sampling bias (Graves 2013, section 5.4), for the record; the picture does not read it. */
  bias: number;
  sequences: number[][];
}

/** Test sequences and the model's NLL (nats) of each point: `nll[i][k]` of point k of sequence i. */
export interface StrokeNllArtifact {
  std: [number, number];
  sequences: number[][];
  nll: number[][];
}

export interface StrokeTileOptions {
  /** Pixels a tile side (default 96). */
  side?: number;
  /** Tiles a row (default ceil(sqrt(sequences))); rows as needed, the last padded with black tiles. */
  cols?: number;
}

/** A position: grid units (points), or pixels with (0, 0) the tile's top-left corner (pixel (i, j) spans [i, i+1)). */
export interface XY {
  x: number;
  y: number;
}

/**
 * What is drawn of point k: `ink`, the segment p_{k-1} -> p_k with the pen down (pen-up of point k-1 below 0.5);
 * `jump`, the same with the pen up (the move to a stroke's first point); `dot`, a point that no ink segment touches
 * (a one-point stroke), drawn as a disc (from = to).
 */
export interface Segment {
  k: number;
  kind: 'ink' | 'jump' | 'dot';
  from: XY;
  to: XY;
}

const VALUES_A_POINT = 3;
const DEFAULT_SIDE = 96;
/** Line widths in pixels: the ink, and the (dim) pen-up jumps of nllTiles. */
const INK_WIDTH = 1.6;
const JUMP_WIDTH = 1;
/** nllTiles' pen-up jumps: their NLL colour times this, so that they stay behind the ink. */
const JUMP_DIM = 0.45;
/** The percentiles of the ink's NLL that the colour scale spans (a few outliers do not flatten the rest). */
const NLL_PERCENTILES: [number, number] = [5, 95];

/**
 * The absolute points p_k of a sequence in grid units (screen convention, y down): the cumulative sums of the offsets
 * times `std`, the first from the origin. A point whose offsets are not finite (a diverged model's NaN), or whose sum
 * overflows, is undefined and does not move the pen: the points after it continue from the last finite one.
 */
export function strokePoints(sequence: readonly number[], std: readonly [number, number]): (XY | undefined)[] {
  const out: (XY | undefined)[] = [];
  let [x, y] = [0, 0];
  for (let k = 0; k + VALUES_A_POINT <= sequence.length; k += VALUES_A_POINT) {
    const [nx, ny] = [x + sequence[k] * std[0], y + sequence[k + 1] * std[1]];
    if (Number.isFinite(nx) && Number.isFinite(ny)) {
      [x, y] = [nx, ny];
      out.push({ x, y });
    } else out.push(undefined);
  }
  return out;
}

/**
 * What is drawn of a sequence (Segment), given its points (strokePoints): per point k >= 1 whose both ends are
 * finite, ink or a jump by the pen-up of point k-1 (1 on a stroke's last point; a NaN pen-up counts as up); nothing
 * from the origin to p_0 (the pen starts up); then a dot at each finite point that no ink touches.
 */
export function strokeSegments(sequence: readonly number[], points: readonly (XY | undefined)[]): Segment[] {
  const out: Segment[] = [];
  const inked = new Set<number>();
  for (let k = 1; k < points.length; k++) {
    const [from, to] = [points[k - 1], points[k]];
    if (from === undefined || to === undefined) continue;
    const down = sequence[(k - 1) * VALUES_A_POINT + 2] < 0.5;
    out.push({ k, kind: down ? 'ink' : 'jump', from, to });
    if (down) inked.add(k - 1).add(k);
  }
  points.forEach((p, k) => {
    if (p !== undefined && !inked.has(k)) out.push({ k, kind: 'dot', from: p, to: p });
  });
  return out;
}

/**
 * The map from grid units to a tile's pixels that fits the finite points' bounding box into a side x side tile:
 * one scale for both axes (the aspect kept: a wide line fits its width), a margin of round(side / 24) (at least 2)
 * pixels, the box's centre on the centre of pixel floor(side / 2) and its longer side's ends on pixel centres too
 * (so that a dot, or a line along the box's middle or edge, covers one row of pixels fully, not two by halves; on
 * an even side the far margin is one pixel wider). A box of zero extent (one point; all offsets zero), or one too
 * large to subtract (overflow), puts every point at the centre.
 */
export function fitTile(points: readonly (XY | undefined)[], side: number): (p: XY) => XY {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points) {
    if (p === undefined) continue;
    [x0, x1, y0, y1] = [Math.min(x0, p.x), Math.max(x1, p.x), Math.min(y0, p.y), Math.max(y1, p.y)];
  }
  const extent = Math.max(x1 - x0, y1 - y0);
  const centre = Math.floor(side / 2) + 0.5;
  // From the centre to the last pixel centre before the far margin; 0 in a tile too small for its margins.
  const half = Math.max(0, side - Math.max(2, Math.round(side / 24)) - 0.5 - centre);
  const scale = Number.isFinite(extent) && extent > 0 ? (2 * half) / extent : 0;
  // Halves before adding: the centre of a box of huge finite values stays finite.
  const [cx, cy] = x0 <= x1 ? [x0 / 2 + x1 / 2, y0 / 2 + y1 / 2] : [0, 0];
  return (p) => ({ x: centre + (p.x - cx) * scale, y: centre + (p.y - cy) * scale });
}

/**
 * A tile being drawn: per pixel the coverage (0-1) of the line that covers it most, and that line's colour
 * (`channels` values 0-255); a line paints a pixel where it covers it at least as much as what is there, so a later
 * line wins ties and crossings of anti-aliased edges keep the stronger line's colour.
 */
interface Canvas {
  side: number;
  channels: 1 | 3;
  cover: Float32Array;
  colour: Float32Array;
}

const newCanvas = (side: number, channels: 1 | 3): Canvas => ({
  side,
  channels,
  cover: new Float32Array(side * side),
  colour: new Float32Array(side * side * channels),
});

/** Distance from (px, py) to the segment a-b (to a itself where a = b). */
function distanceToSegment(px: number, py: number, a: XY, b: XY): number {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const length2 = dx * dx + dy * dy;
  const t = length2 > 0 ? Math.min(1, Math.max(0, ((px - a.x) * dx + (py - a.y) * dy) / length2)) : 0;
  return Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy));
}

/**
 * Draws the segment a-b (pixels) `width` pixels wide, with round ends (a = b: a disc), anti-aliased: a pixel whose
 * centre lies at distance d from the segment is covered clamp(width / 2 + 0.5 - d, 0, 1), full inside the line and
 * falling to 0 over one pixel at its edge. Only the pixels of its bounding box are visited.
 */
function paintSegment(canvas: Canvas, line: { a: XY; b: XY; width: number; colour: readonly number[] }): void {
  const { a, b, width, colour } = line;
  const reach = width / 2 + 0.5;
  const clampPixel = (v: number) => Math.min(canvas.side - 1, Math.max(0, v));
  const [i0, i1] = [
    clampPixel(Math.floor(Math.min(a.x, b.x) - reach)),
    clampPixel(Math.ceil(Math.max(a.x, b.x) + reach)),
  ];
  const [j0, j1] = [
    clampPixel(Math.floor(Math.min(a.y, b.y) - reach)),
    clampPixel(Math.ceil(Math.max(a.y, b.y) + reach)),
  ];
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1; i++) {
      const cover = Math.min(1, reach - distanceToSegment(i + 0.5, j + 0.5, a, b));
      const at = j * canvas.side + i;
      if (cover <= 0 || cover < canvas.cover[at]) continue;
      canvas.cover[at] = cover;
      for (let c = 0; c < canvas.channels; c++) canvas.colour[at * canvas.channels + c] = colour[c];
    }
  }
}

/** The canvas as bytes: each pixel its colour times its coverage (black where nothing was drawn). */
function canvasBytes(canvas: Canvas): Uint8Array {
  const out = new Uint8Array(canvas.colour.length);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(canvas.colour[i] * canvas.cover[Math.floor(i / canvas.channels)]);
  return out;
}

/** How a segment is drawn: its width and colour, or undefined where it is not drawn. */
type Paint = (segment: Segment) => { width: number; colour: readonly number[] } | undefined;

/** One sequence drawn into a side x side tile (fitTile), the jumps first so that the ink lies over them. */
function drawSequence(opts: {
  sequence: readonly number[];
  std: readonly [number, number];
  side: number;
  channels: 1 | 3;
  paint: Paint;
}): Uint8Array {
  const { sequence, std, side, channels, paint } = opts;
  const points = strokePoints(sequence, std);
  const toPixels = fitTile(points, side);
  const canvas = newCanvas(side, channels);
  const segments = strokeSegments(sequence, points);
  const ordered = [...segments.filter((s) => s.kind === 'jump'), ...segments.filter((s) => s.kind !== 'jump')];
  for (const segment of ordered) {
    const style = paint(segment);
    if (style !== undefined) paintSegment(canvas, { a: toPixels(segment.from), b: toPixels(segment.to), ...style });
  }
  return canvasBytes(canvas);
}

/** Tiles side x side of `channels` bytes a pixel into a grid of `cols` columns (default ceil(sqrt(n))), rows as needed. */
function grid(tiles: readonly Uint8Array[], opts: { side: number; channels: 1 | 3; cols?: number }): Tiles {
  const { side, channels } = opts;
  const cols = opts.cols ?? Math.max(1, Math.ceil(Math.sqrt(tiles.length)));
  const rows = Math.ceil(tiles.length / cols);
  const pixels = new Uint8Array(rows * cols * side * side * channels); // padding tiles stay black
  tiles.forEach((tile, i) => pixels.set(tile, i * side * side * channels));
  return { rows, cols, side, channels, pixels };
}

/** The options with their defaults, refusing a side or cols that is not a positive integer. */
function tileOptions(opts: StrokeTileOptions): { side: number; cols?: number } {
  const side = opts.side ?? DEFAULT_SIDE;
  for (const [key, value] of [
    ['side', side],
    ['cols', opts.cols ?? 1],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`stroke tiles: ${key} ${value}, not an integer >= 1`);
  return { side, cols: opts.cols };
}

/**
 * Each sequence of `a` in a square tile (fitTile), its ink white (255) on black and its one-point strokes as dots;
 * the pen-up jumps are not drawn.
 */
export function strokeTiles(a: StrokeSamplesArtifact, opts: StrokeTileOptions = {}): Tiles {
  const { side, cols } = tileOptions(opts);
  const paint: Paint = (s) => (s.kind === 'jump' ? undefined : { width: INK_WIDTH, colour: [255] });
  const tiles = a.sequences.map((sequence) => drawSequence({ sequence, std: a.std, side, channels: 1, paint }));
  return grid(tiles, { side, channels: 1, cols });
}

/** The colour scale's stops (RGB), evenly spaced from t = 0 (low NLL) to t = 1 (high): blue, cyan, green, yellow, red. */
const NLL_STOPS: readonly (readonly [number, number, number])[] = [
  [40, 90, 255],
  [0, 200, 230],
  [40, 210, 40],
  [250, 220, 0],
  [255, 40, 20],
];

/**
 * The colour (RGB, 0-255) of t in [0, 1] on the NLL scale: linear between NLL_STOPS (blue, cyan, green, yellow,
 * red), t clamped to [0, 1] (so +Infinity is red); white for NaN (an NLL that is not a number, off the scale).
 */
export function nllColour(t: number): [number, number, number] {
  if (Number.isNaN(t)) return [255, 255, 255];
  const at = Math.min(1, Math.max(0, t)) * (NLL_STOPS.length - 1);
  const i = Math.min(NLL_STOPS.length - 2, Math.floor(at));
  const f = at - i;
  const [lo, hi] = [NLL_STOPS[i], NLL_STOPS[i + 1]];
  return [0, 1, 2].map((c) => Math.round(lo[c] + f * (hi[c] - lo[c]))) as [number, number, number];
}

/** What nllTiles' colours mean, for the picture's title. */
export const NLL_COLOUR_LEGEND =
  'colour: per-point NLL, low (blue) through cyan, green, yellow to high (red), over the 5th-95th percentile of ' +
  'the ink points of all sequences; dim thin lines: pen-up jumps, coloured by their NLL alike; white: NLL not a number';

/** The p-th percentile (0-100) of sorted values, linear between neighbours. */
function percentile(sorted: readonly number[], p: number): number {
  const at = ((sorted.length - 1) * p) / 100;
  const i = Math.floor(at);
  return i + 1 < sorted.length ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The NLL range the colour scale spans, one for the whole artifact (so that tiles compare): the NLL_PERCENTILES of
 * the finite NLLs of the ink (ink segments and dots) of every sequence. The jumps are left out: a jump's offset is
 * long and hard to predict, so its NLL sits far above the strokes' and would squeeze them into one colour; jumps
 * above the range are drawn in its top colour. [0, 0] where there is no finite ink NLL.
 */
export function nllRange(a: StrokeNllArtifact): [number, number] {
  const values: number[] = [];
  a.sequences.forEach((sequence, i) => {
    for (const s of strokeSegments(sequence, strokePoints(sequence, a.std)))
      if (s.kind !== 'jump' && Number.isFinite(a.nll[i]?.[s.k])) values.push(a.nll[i][s.k]);
  });
  if (values.length === 0) return [0, 0];
  values.sort((x, y) => x - y);
  return [percentile(values, NLL_PERCENTILES[0]), percentile(values, NLL_PERCENTILES[1])];
}

/**
 * Each sequence of `a` drawn as strokeTiles draws it, in colour (3 channels): segment p_{k-1} -> p_k (and a dot at
 * p_k) in the colour of point k's NLL (nllColour) over nllRange, clamped (the middle colour where the range is one
 * value; white where the NLL is missing or NaN); the pen-up jumps drawn thin and dim (JUMP_DIM of their colour),
 * under the ink, so that what the jumps cost shows too.
 */
export function nllTiles(a: StrokeNllArtifact, opts: StrokeTileOptions = {}): Tiles {
  const { side, cols } = tileOptions(opts);
  const [lo, hi] = nllRange(a);
  const t = (v: number | undefined) =>
    v === undefined || Number.isNaN(v) ? NaN : hi > lo ? (v - lo) / (hi - lo) : 0.5;
  const tiles = a.sequences.map((sequence, i) => {
    const paint: Paint = (s) => {
      const colour = nllColour(t(a.nll[i]?.[s.k]));
      return s.kind === 'jump'
        ? { width: JUMP_WIDTH, colour: colour.map((c) => c * JUMP_DIM) }
        : { width: INK_WIDTH, colour };
    };
    return drawSequence({ sequence, std: a.std, side, channels: 3, paint });
  });
  return grid(tiles, { side, channels: 3, cols });
}
