// Pictures of a completed run's artifacts as PNG files (pngjs): DRAW's digits generated from the prior, as a grid,
// and its canvas sigmoid(c_t) after every step t while reconstructing a few test digits (the "DRAW strip": each
// row a digit, its input first, then steps 1..T). White ink on black, each pixel drawn SCALE x SCALE.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeAtomic } from '../metrics/files';
import { artifactPath, runPaths } from '../results/layout';
import type { RunResult } from '../results/read';
import type { PictureKind } from '../tasks/types';
import { SEED_KEYS } from './series';

const SCALE = 2;
/** Pixels between digits, and their grey. */
const GAP = 2;
const GAP_GREY = 90;

interface SamplesArtifact {
  rows: number;
  cols: number;
  side: number;
  /** rows * cols digits of side^2 bytes (0-255), base64. */
  pixels: string;
}

interface StripArtifact {
  digits: number;
  steps: number;
  side: number;
  /** digits * side^2 bytes, base64. */
  inputs: string;
  /** digits * steps * side^2 bytes, digit-major, base64. */
  pixels: string;
}

/** A grid of rows x cols digits (side x side bytes each, in `digits` order, row-major) as a PNG. */
export function gridPng(digits: Uint8Array, rows: number, cols: number, side: number): Buffer {
  const cell = side * SCALE + GAP;
  const png = new PNG({ width: cols * cell + GAP, height: rows * cell + GAP }); // RGBA
  for (let i = 0; i < png.data.length; i += 4) {
    png.data[i] = png.data[i + 1] = png.data[i + 2] = GAP_GREY;
    png.data[i + 3] = 255;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = (r * cols + c) * side * side;
      for (let y = 0; y < side * SCALE; y++) {
        for (let x = 0; x < side * SCALE; x++) {
          const v = digits[base + Math.floor(y / SCALE) * side + Math.floor(x / SCALE)];
          const at = ((GAP + r * cell + y) * png.width + GAP + c * cell + x) * 4;
          png.data[at] = png.data[at + 1] = png.data[at + 2] = v;
        }
      }
    }
  }
  return PNG.sync.write(png, { colorType: 0 });
}

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** The strip: per digit its input, then its canvas after each step. */
function stripPng(a: StripArtifact): Buffer {
  const size = a.side * a.side;
  const inputs = bytes(a.inputs);
  const canvases = bytes(a.pixels);
  const cols = a.steps + 1;
  const all = new Uint8Array(a.digits * cols * size);
  for (let d = 0; d < a.digits; d++) {
    all.set(inputs.subarray(d * size, (d + 1) * size), d * cols * size);
    all.set(canvases.subarray(d * a.steps * size, (d + 1) * a.steps * size), (d * cols + 1) * size);
  }
  return gridPng(all, a.digits, cols, a.side);
}

function readArtifact<T>(expDir: string, runId: string, name: string): T | undefined {
  const path = artifactPath(runPaths(expDir, runId).artifacts, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

export interface Picture {
  name: string;
  title: string;
  png: string;
}

const TITLES: Record<PictureKind, string> = {
  'draw-samples': 'Digits drawn from the prior (same z for every run)',
  'draw-strip': 'The canvas step by step (each row: a test digit, then sigmoid(c_t) for t = 1..T)',
};

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
 * Writes `kind`'s picture of each pictured run that has its artifact into `expDir`; returns them in run order.
 */
export function writePictures(expDir: string, runs: readonly RunResult[], kind: PictureKind): Picture[] {
  const out: Picture[] = [];
  for (const run of pictured(runs)) {
    const png =
      kind === 'draw-samples'
        ? sampleGrid(readArtifact<SamplesArtifact>(expDir, run.runId, 'samples'))
        : stripOf(readArtifact<StripArtifact>(expDir, run.runId, 'strip'));
    if (!png) continue;
    const name = `${kind}-${run.runId}`;
    writeAtomic(join(expDir, `${name}.png`), png);
    out.push({ name, title: `${TITLES[kind]}: ${run.runId}`, png: `${name}.png` });
  }
  return out;
}

const sampleGrid = (a: SamplesArtifact | undefined) => a && gridPng(bytes(a.pixels), a.rows, a.cols, a.side);
const stripOf = (a: StripArtifact | undefined) => a && stripPng(a);
