// Reports from fixture results (test/fixtures/results: a tiny batch-size x norm x seed sweep and a tiny
// retrieval experiment): files written, SVGs that parse, legends that name each norm, PNGs, clear errors;
// the aggregation behind the curves; the invariance table.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runConfigSchema } from '../src/config/schema';
import type { RunResult } from '../src/results/read';
import { measureInvariance, PAPER_TABLE, PREDICTED } from '../src/invariance/invariance';
import { writeReport } from '../src/report/report';
import { curvePoints, finalPoints } from '../src/report/series';
import { UserError } from '../src/errors';
import { useBackend } from './helpers';
import { PNG } from 'pngjs';
import { gridPng } from '../src/report/pictures';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const copyFixture = (name: string) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ln-repro-report-')), name);
  cpSync(join(FIXTURES, 'results', name), dir, { recursive: true });
  return dir;
};

/** Every text node of an SVG (labels, legend entries, titles). */
function svgTexts(svg: string): string[] {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'text')
          texts.push(
            ...(Array.isArray(v) ? v : [v]).map((t) =>
              typeof t === 'object' ? String((t as Record<string, string | number>)['#text'] ?? '') : String(t),
            ),
          );
        else walk(v);
      }
    }
  };
  walk(new XMLParser({ ignoreAttributes: false }).parse(svg));
  return texts;
}

/** `expected` is one of `lines`, whole. */
function assertLine(lines: string[], expected: string) {
  assert.ok(lines.includes(expected), `no line\n${expected}\nin\n${lines.join('\n')}`);
}

function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${path} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('report', () => {
  it('writes report.md, learning curves and a batch-size sweep plot for a sweep, with the claims', async () => {
    const dir = copyFixture('tiny-sweep');
    const r = await writeReport(dir);
    assert.deepEqual(
      r.figures.map((f) => f.name),
      ['curves', 'sweep-batchSize'],
    );
    for (const f of r.figures) {
      const svg = readFileSync(join(dir, f.svg!), 'utf8');
      assert.equal(XMLValidator.validate(svg), true, `${f.svg} parses`);
      const texts = svgTexts(svg);
      for (const label of ['no norm', 'layer norm', 'batch norm'])
        assert.ok(texts.includes(label), `${f.svg}: legend names ${label}: ${texts.join('|')}`);
      const size = pngSize(join(dir, f.png));
      assert.ok(size.width > 400 && size.height > 300, `${f.png}: ${size.width}x${size.height}`);
    }
    const curves = svgTexts(readFileSync(join(dir, 'curves.svg'), 'utf8'));
    for (const label of [
      'epoch',
      'train NLL (nats, log scale)',
      'test error (fraction)',
      'batchSize=4',
      'batchSize=16',
    ])
      assert.ok(curves.includes(label), `curves.svg has ${label}`);
    const sweep = svgTexts(readFileSync(join(dir, 'sweep-batchSize.svg'), 'utf8'));
    assert.ok(sweep.includes('batchSize (log2 scale)'), sweep.join('|'));
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.equal(md, r.markdown);
    const lines = md.split('\n');
    // Layer norm's two seeds end at test error 0.38 and 0.38, batch norm's at 0.40 and 0.45: the claim holds.
    assertLine(
      lines,
      "| **PASS** | ln-beats-bn-at-4: At batch size 4, layer norm's test error is below batch norm's. | Fig. 6 | test_error (last) | mean 0.3800 | mean 0.4250 | a < b |",
    );
    assert.match(md, /!\[Learning curves\]\(curves\.png\)/);
    assert.match(md, /\| backend \| wasm \|/);
    // Last epochs of the fixture's two seeds, mean and sample standard deviation: test_error 0.38, 0.38; test_nll
    // 1.4229, 1.2414; train_nll 1.3203, 1.2179.
    assertLine(lines, '| batchSize=4 | layer norm | 2/2 | 0.3800 ± 0.0000 | 1.3321 ± 0.1284 | 1.2691 ± 0.0724 |');
    assert.match(md, /```yaml\nname: tiny-sweep/);
  });

  it('plots recall@K per model for retrieval', async () => {
    const dir = copyFixture('tiny-retrieval');
    const r = await writeReport(dir);
    assert.deepEqual(
      r.figures.map((f) => f.name),
      ['curves', 'recall'],
    );
    const texts = svgTexts(readFileSync(join(dir, 'recall.svg'), 'utf8'));
    for (const label of ['R@1', 'R@5', 'R@10', 'recall (% of queries)', 'no norm', 'layer norm'])
      assert.ok(texts.includes(label), `recall.svg has ${label}`);
    // Last epochs of the two layer-norm seeds: caption R@1 4 and 8, image R@1 12 and 24, ...
    assertLine(
      r.markdown.split('\n'),
      '| layer norm | 2/2 | 1.6775 ± 0.2452 | 6.00 ± 2.83 | 20.50 ± 6.36 | 32.00 ± 4.24 | 31.40 ± 2.71 | 18.00 ± 8.49 | 36.50 ± 4.95 | 50.00 ± 0.00 | 20.24 ± 2.52 |',
    );
  });

  it('says clearly when there are no results to report, and exits 2 from the CLI', async () => {
    const dir = copyFixture('no-metrics');
    await assert.rejects(
      writeReport(dir),
      (e: unknown) => e instanceof UserError && /no run has metrics yet/.test(e.message) && e.message.includes(dir),
    );
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'ln-repro'), 'report', dir], { encoding: 'utf8' });
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /no run has metrics yet/);
    assert.ok(!existsSync(join(dir, 'report.md')), 'nothing written');
    const notExp = spawnSync(process.execPath, [join(ROOT, 'bin', 'ln-repro'), 'report', tmpdir()], {
      encoding: 'utf8',
    });
    assert.equal(notExp.status, 2);
    assert.match(notExp.stderr, /not an experiment folder/);
  });
});

describe('report aggregation', () => {
  const run = (norm: string, seed: number, batchSize: number, errors: number[]): RunResult => ({
    runId: `${norm}-${seed}-${batchSize}`,
    status: 'complete',
    config: runConfigSchema.parse({
      name: 'x',
      data: { train: 200, test: 1 },
      model: { kind: 'mlp', norm },
      train: { seed, batchSize },
    }),
    rows: errors.map((e, i) => ({ epoch: i + 1, step: i + 1, train_nll: 1, test_nll: 1, test_error: e, seconds: 1 })),
  });
  const runs = [
    run('layer', 1, 4, [0.3, 0.2]),
    run('layer', 2, 4, [0.5, 0.1]),
    run('batch', 1, 4, [0.4, 0.4]),
    run('layer', 1, 16, [0.9, 0.8]),
  ];

  it('averages seeds per panel, norm and epoch, with min and max', () => {
    const pts = curvePoints(runs, ['train.batchSize'], ['test_error']);
    const at = (panel: string, norm: string, epoch: number) =>
      pts.find((p) => p.panel === panel && p.norm === norm && p.epoch === epoch);
    assert.deepEqual(at('batchSize=4', 'layer norm', 1), {
      panel: 'batchSize=4',
      norm: 'layer norm',
      epoch: 1,
      measure: 'test_error',
      mean: 0.4,
      lo: 0.3,
      hi: 0.5,
      n: 2,
    });
    assert.equal(at('batchSize=4', 'layer norm', 2)!.mean, 0.15000000000000002);
    assert.equal(at('batchSize=16', 'layer norm', 1)!.n, 1);
    assert.equal(pts.length, 6);
  });

  it('takes final values of complete runs for sweep plots, with the swept value as x', () => {
    const pts = finalPoints(runs, [], ['test_error'], 'train.batchSize');
    assert.deepEqual(
      pts.find((p) => p.norm === 'layer norm' && p.x === 4),
      { group: '', norm: 'layer norm', measure: 'test_error', x: 4, mean: 0.15000000000000002, lo: 0.1, hi: 0.2, n: 2 },
    );
    assert.deepEqual(pts.find((p) => p.norm === 'layer norm' && p.x === 16)?.mean, 0.8);
    assert.equal(pts.length, 3, 'layer at 4 and 16, batch at 4');
  });
});

describe('invariance (Table 1)', () => {
  before(() => useBackend('cpu'));
  it('agrees with every cell of the paper for layer and batch norm, and weight norm, and with the predictions for RMSNorm and group norm, with clear margins', () => {
    const { rows, tolerance } = measureInvariance();
    assert.equal(rows.length, 30);
    for (const r of rows) {
      if (r.method === 'rms' || r.method === 'group') {
        assert.equal(r.paper, null);
        assert.equal(r.expected, PREDICTED[r.method][r.transform]);
      } else assert.equal(r.paper, PAPER_TABLE[r.method][r.transform]);
      assert.equal(r.invariant, r.expected, `${r.method}, ${r.transform}: change ${r.max_abs_change}`);
      // Far from the tolerance either way, so the verdicts do not hinge on it.
      if (r.invariant) assert.ok(r.max_abs_change < tolerance / 5, `${r.method}, ${r.transform}: ${r.max_abs_change}`);
      else assert.ok(r.max_abs_change > 0.1, `${r.method}, ${r.transform}: ${r.max_abs_change}`);
    }
  });
});

describe('report pictures (DRAW, colour tiles)', () => {
  it('gridPng lays digits out row by row, each pixel 2x2, white ink on black, grey gaps', () => {
    // Two digits of 2x2 pixels: the first all ink (255), the second its top-left pixel only.
    const png = PNG.sync.read(
      gridPng({ pixels: Uint8Array.from([255, 255, 255, 255, 255, 0, 0, 0]), rows: 1, cols: 2, side: 2 }),
    );
    const cell = 2 * 2 + 2; // side * scale + gap
    assert.equal(png.width, 2 * cell + 2);
    assert.equal(png.height, cell + 2);
    const at = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    assert.equal(at(0, 0), 90, 'gap');
    assert.equal(at(2, 2), 255, 'first digit, ink');
    assert.equal(at(2 + cell, 2), 255, "second digit's top-left pixel");
    assert.equal(at(2 + cell + 3, 2 + 3), 0, "second digit's bottom-right pixel: background");
  });

  it('gridPng writes tiles of 3 channels as an RGB PNG, each pixel its own colour, grey gaps', () => {
    // Two tiles of 2x2 pixels, RGB interleaved: the first's top-left pixel orange, the second's bottom-right blue.
    const pixels = new Uint8Array(2 * 2 * 2 * 3);
    pixels.set([255, 128, 0], 0);
    pixels.set([0, 64, 255], (4 + 3) * 3);
    const buffer = gridPng({ pixels, rows: 1, cols: 2, side: 2, channels: 3 });
    assert.equal(buffer[25], 2, 'colour type 2 (RGB) in the IHDR chunk');
    const png = PNG.sync.read(buffer);
    const cell = 2 * 2 + 2;
    const rgb = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    assert.deepEqual(rgb(0, 0), [90, 90, 90], 'gap');
    assert.deepEqual(rgb(2, 2), [255, 128, 0], "first tile's top-left pixel");
    assert.deepEqual(rgb(3, 3), [255, 128, 0], 'each pixel 2x2');
    assert.deepEqual(rgb(2 + 2, 2), [0, 0, 0], "first tile's top-right pixel: black");
    assert.deepEqual(rgb(2 + cell + 3, 2 + 3), [0, 64, 255], "second tile's bottom-right pixel");
  });
});
