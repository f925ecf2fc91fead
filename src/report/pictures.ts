// Pictures of completed runs' artifacts as PNG files (pngjs): a task's picture (src/tasks/spec.ts) turns an artifact
// into a grid of greyscale tiles (DRAW: digits drawn from the prior; the canvas step by step), drawn here white ink
// on black, or of colour tiles (RGB), each pixel SCALE x SCALE, tiles separated by grey lines; or into a chart
// (the reader's attention over a document's words), rendered as the learning curves are (SVG and PNG).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeAtomic } from '../util/fs';
import { artifactPath, runPaths } from '../results/layout';
import type { RunResult } from '../results/read';
import type { PictureSpec, Tiles } from '../tasks/spec';
import { figure } from './figures';
import { toPng, toSvg } from './render';
import { SEED_KEYS } from './series';

const SCALE = 2;
/** Pixels between digits, and their grey. */
const GAP = 2;
const GAP_GREY = 90;

/**
 * A grid of rows x cols tiles (side x side pixels each, in `pixels` order, row-major) as a PNG: greyscale (colour
 * type 0) for tiles of 1 channel, RGB (colour type 2) for tiles of 3; the gaps grey either way.
 */
export function gridPng(tiles: Tiles): Buffer {
  const { rows, cols, side } = tiles;
  const cell = side * SCALE + GAP;
  const png = new PNG({ width: cols * cell + GAP, height: rows * cell + GAP }); // RGBA
  for (let i = 0; i < png.data.length; i += 4) {
    png.data[i] = png.data[i + 1] = png.data[i + 2] = GAP_GREY;
    png.data[i + 3] = 255;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) copyTile(png, tiles, r, c);
  return PNG.sync.write(png, { colorType: tiles.channels === 3 ? 2 : 0 });
}

/** Tile (r, c) of `tiles` into `png`'s RGBA data at its cell, each pixel SCALE x SCALE (grey: R = G = B). */
function copyTile(png: PNG, { pixels, cols, side, channels = 1 }: Tiles, r: number, c: number): void {
  const cell = side * SCALE + GAP;
  const base = (r * cols + c) * side * side;
  for (let y = 0; y < side * SCALE; y++) {
    for (let x = 0; x < side * SCALE; x++) {
      const from = (base + Math.floor(y / SCALE) * side + Math.floor(x / SCALE)) * channels;
      const at = ((GAP + r * cell + y) * png.width + GAP + c * cell + x) * 4;
      for (let k = 0; k < 3; k++) png.data[at + k] = pixels[from + (channels === 3 ? k : 0)];
    }
  }
}

function readArtifact(expDir: string, runId: string, name: string): unknown {
  const path = artifactPath(runPaths(expDir, runId).artifacts, name);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

export interface Picture {
  name: string;
  title: string;
  png: string;
  /** Charts only. */
  svg?: string;
}

/**
 * The completed runs to picture: of runs that differ only in their seeds, the first (the pictures of a model's other
 * seeds look alike; the report would repeat them).
 */
function pictured(runs: readonly RunResult[]): RunResult[] {
  const seen = new Set<string>();
  return runs.filter((run) => {
    if (run.status !== 'complete') return false;
    const swept = Object.entries(run.record?.swept ?? {}).filter(([k]) => !SEED_KEYS.includes(k));
    const key = JSON.stringify(swept);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Writes `picture` (of task `task`) of each pictured run that has its artifact into `expDir`, as
 * `<task>-<artifact>-<runId>.png` (and, for a chart, `.svg`); returns them in run order.
 */
export async function writePictures(
  expDir: string,
  runs: readonly RunResult[],
  task: string,
  picture: PictureSpec,
): Promise<Picture[]> {
  const out: Picture[] = [];
  for (const run of pictured(runs)) {
    const artifact = readArtifact(expDir, run.runId, picture.artifact);
    if (artifact === undefined) continue;
    const name = `${task}-${picture.artifact}-${run.runId}`;
    const title = `${picture.title}: ${run.runId}`;
    if (picture.chart) {
      const chart = picture.chart(artifact);
      const svg = await toSvg(figure(chart.title, chart.subtitle, chart.body));
      writeAtomic(join(expDir, `${name}.svg`), svg);
      writeAtomic(join(expDir, `${name}.png`), toPng(svg));
      out.push({ name, title, png: `${name}.png`, svg: `${name}.svg` });
    } else {
      writeAtomic(join(expDir, `${name}.png`), gridPng(picture.tiles(artifact)));
      out.push({ name, title, png: `${name}.png` });
    }
  }
  return out;
}
