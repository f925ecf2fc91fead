// `ln-repro report`: report.md and its figures (SVG and PNG) in an experiment folder, from its run folders:
// learning curves, sweep plots, retrieval recall, the claims' verdicts, final metrics, provenance and config.
import { join } from 'node:path';
import YAML from 'yaml';
import { getAt, parsePath } from '../config/paths';
import type { Experiment } from '../config/load';
import type { RunConfig } from '../config/schema';
import { UserError } from '../errors';
import { evaluateClaim, sideName, stats, type ClaimResult } from '../results/claims';
import type { RunRecord } from '../results/layout';
import { describeDrift, refuseMixed, type Drift } from '../results/mixed';
import { driftsOf, readExperimentResults, type ExperimentResults, type RunResult } from '../results/read';
import { taskOf } from '../tasks/catalog';
import type { TaskSpec } from '../tasks/spec';
import { fixed } from '../util/format';
import { writeAtomic } from '../util/fs';
import { barChart, learningCurves, sweepPlot, type Spec } from './figures';
import { toPng, toSvg } from './render';
import { writePictures } from './pictures';
import { curvePoints, describeKeys, factorKeys, finalPoints, NORM_LABELS, plotted, SEED_KEYS } from './series';
import { version } from '../util/version';

export interface ReportFigure {
  name: string;
  title: string;
  /** Charts (the learning curves, a task's chart pictures); tile pictures are PNG only. */
  svg?: string;
  png: string;
}

export interface ReportOptions {
  /** Report a folder with runs of another config than experiment.yaml's, in rows and a section of their own. */
  allowMixed?: boolean;
}

export interface ReportOutcome {
  markdown: string;
  figures: ReportFigure[];
  claims: ClaimResult[];
}

/** Batch sizes on a log2 axis (as the paper's batch-size comparisons), other positive numbers spanning 8x or more on log10. */
function logBaseFor(key: string, xs: number[]): number | undefined {
  if (xs.some((x) => x <= 0)) return undefined;
  if (key.endsWith('batchSize')) return 2;
  return Math.max(...xs) / Math.min(...xs) >= 8 ? 10 : undefined;
}

/** How many seeds each line or row averages, and over which swept keys (none: one run each). */
function seedsOf(swept: readonly string[], runs: readonly RunResult[]): { count: number; keys: string[] } {
  const keys = swept.filter((k) => SEED_KEYS.includes(k));
  const count = keys
    .map((k) => new Set(runs.map((r) => JSON.stringify(getAt(r.config, parsePath(k))))).size)
    .reduce((a, b) => a * b, 1);
  return { count, keys };
}

function seedNote(swept: readonly string[], runs: readonly RunResult[]): string {
  const { count, keys } = seedsOf(swept, runs);
  return keys.length === 0 ? 'one run per line' : `mean over ${count} seeds (${keys.join(', ')}); band: min to max`;
}

type NamedSpec = { name: string; title: string; spec: Spec };

/** What every figure of an experiment is drawn from. */
interface FigureContext {
  name: string;
  runs: readonly RunResult[];
  task: TaskSpec;
  /** Swept keys that are neither seeds nor the norm: panels, or a sweep plot's x axis. */
  factors: string[];
  /** How many seeds a line averages, for the subtitle. */
  note: string;
}

/** The bar charts a task adds beyond its curves and sweep plots (retrieval's recall@K), of its final metrics. */
function barFigures(c: FigureContext): NamedSpec[] {
  const measures = c.task.finalColumns.map((col) => col.measure);
  return (c.task.bars ?? []).map((chart) => ({
    name: chart.name,
    title: chart.heading,
    spec: barChart(c.name, chart, finalPoints(c.runs, c.factors, measures), `final epoch; ${c.note}`),
  }));
}

/** Final value of the task's sweep measure against each numeric swept key that takes two values or more. */
function sweepFigures({ name, runs, task, factors, note }: FigureContext): NamedSpec[] {
  const axis = task.sweepAxis;
  const out: NamedSpec[] = [];
  for (const key of factors) {
    const xs = [...new Set(runs.map((r) => getAt(r.config, parsePath(key))))];
    if (xs.length < 2 || !xs.every((x) => typeof x === 'number')) continue;
    const others = factors.filter((k) => k !== key);
    const xTitle = key.split('.').pop()!;
    const points = finalPoints(runs, others, [axis.measure], key);
    const spec = sweepPlot(name, points, axis, xTitle, logBaseFor(key, xs), `final epoch; ${note}`);
    out.push({ name: `sweep-${xTitle}`, title: `Final ${axis.title.replace(/ \(.*\)$/, '')} against ${xTitle}`, spec });
  }
  return out;
}

/** The figure specs this experiment's results call for, by file name. */
function figureSpecs(experiment: Experiment, runs: readonly RunResult[]): NamedSpec[] {
  const swept = Object.keys(experiment.sweep);
  const task = taskOf(runs[0].config);
  const c: FigureContext = {
    name: experiment.name,
    runs,
    task,
    factors: factorKeys(swept),
    note: seedNote(swept, runs),
  };
  const points = curvePoints(
    runs,
    c.factors,
    task.curves.map((axis) => axis.measure),
  );
  return [
    { name: 'curves', title: 'Learning curves', spec: learningCurves(c.name, points, task.curves, c.note) },
    ...barFigures(c),
    ...sweepFigures(c),
  ];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function claimTable(claims: readonly ClaimResult[]): string[] {
  if (claims.length === 0) return ['This experiment states no claims (no `expect:` list).'];
  return [
    '| verdict | claim | paper | metric (epoch) | a | b | holds if |',
    '|---|---|---|---|---|---|---|',
    ...claims.map((c) => {
      const side = sideName(c.kind);
      const note = c.status === 'known-deviation' ? `<br>known deviation: ${c.reason}` : '';
      const missing = c.missing.length ? `<br>missing: ${c.missing.join('; ')}` : '';
      const other = c.otherConfig.length ? `<br>other config: ${c.otherConfig.join(', ')}` : '';
      return `| **${c.verdict}** | ${cell(c.id)}: ${cell(c.claim)}${cell(note)}${cell(missing)}${cell(other)} | ${cell(c.paper)} | ${c.metric} (${c.step !== undefined ? `update ${c.step}` : c.epoch}) | ${side} ${fixed(c.lhs)} | ${side} ${fixed(c.rhs)} | a ${c.relation} b${c.margin ? ` by > ${c.margin}` : ''} |`;
    }),
  ];
}

function finalTable(
  runs: readonly RunResult[],
  factors: readonly string[],
  columns: TaskSpec['finalColumns'],
): string[] {
  const groups = new Map<string, { factor: string; norm: string; config: string; runs: RunResult[] }>();
  for (const r of runs) {
    const factor = describeKeys(r.config, factors);
    const norm = NORM_LABELS[r.config.model.norm];
    const config = r.drift ? ownSettings(r.drift) : 'experiment.yaml';
    const key = JSON.stringify([factor, norm, config]);
    if (!groups.has(key)) groups.set(key, { factor, norm, config, runs: [] });
    groups.get(key)!.runs.push(r);
  }
  const mixed = runs.some((r) => r.drift);
  const head = [
    ...(factors.length ? [factors.map((k) => k.split('.').pop()).join(', ')] : []),
    'norm',
    ...(mixed ? ['config'] : []),
    'runs complete',
    ...columns.map((c) => c.measure),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const { factor, norm, config, runs: group } of groups.values()) {
    const complete = group.filter((r) => r.status === 'complete' && r.rows.length > 0);
    const values = columns.map(({ measure, digits }) => {
      const vs = complete
        .map((r) => r.rows[r.rows.length - 1][measure])
        .filter((v): v is number => typeof v === 'number');
      if (vs.length === 0) return '-';
      const { mean, std } = stats(vs);
      return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
    });
    lines.push(
      `| ${[...(factors.length ? [cell(factor)] : []), norm, ...(mixed ? [cell(config)] : []), `${complete.length}/${group.length}`, ...values].join(' | ')} |`,
    );
  }
  return lines;
}

/** A run's own values of the keys where its config differs from experiment.yaml's: `train.epochs=1, ...`. */
const ownSettings = (d: Drift) =>
  d.unknown ? 'another config' : d.keys.map((k) => `${k.key}=${JSON.stringify(k.ran)}`).join(', ');

/** The runs of another config than experiment.yaml's (--allow-mixed), each key with both values. */
function mixedSection(drifts: readonly Drift[]): string[] {
  if (drifts.length === 0) return [];
  const rows = drifts.flatMap((d) =>
    d.unknown
      ? [`| ${cell(d.runId)} | ${cell(describeDrift(d))} | | |`]
      : d.keys.map(
          (k) =>
            `| ${cell(d.runId)} | ${k.key} | ${cell(YAML.stringify(k.ran).trim())} | ${cell(YAML.stringify(k.expected).trim())} |`,
        ),
  );
  return [
    '## Runs of another config',
    '',
    `${drifts.length} finished run(s) ran with another config than \`experiment.yaml\` (reported with \`--allow-mixed\`).`,
    'They enter the claims (each names them), the figures and the final metrics, where they have rows of their own;',
    `their settings (each run's own is \`<runId>/config.yaml\`):`,
    '',
    '| run | key | this run | experiment.yaml |',
    '|---|---|---|---|',
    ...rows,
    '',
  ];
}

function duration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

function provenance(dir: string, experiment: Experiment, records: (RunRecord | undefined)[]): string[] {
  const present = records.filter((r): r is RunRecord => r !== undefined);
  const statuses = new Map<string, number>();
  for (const r of records) statuses.set(r?.status ?? 'missing', (statuses.get(r?.status ?? 'missing') ?? 0) + 1);
  const list = (xs: (string | null | undefined)[]) => [...new Set(xs.filter(Boolean))].join(', ') || '-';
  const starts = present.map((r) => Date.parse(r.started)).filter(Number.isFinite);
  const ends = present.map((r) => (r.ended ? Date.parse(r.ended) : NaN)).filter(Number.isFinite);
  const summed = present.reduce((a, r) => a + (r.wall_seconds ?? 0), 0);
  const span = starts.length && ends.length ? (Math.max(...ends) - Math.min(...starts)) / 1000 : undefined;
  return [
    '| | |',
    '|---|---|',
    `| folder | \`${dir}\` |`,
    `| runs | ${experiment.runs.length} (${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}) |`,
    `| backend | ${list(present.map((r) => r.backend))} |`,
    `| tfjs / Node.js | ${list(present.map((r) => r.tfjs_version))} / ${list(present.map((r) => r.node_version))} |`,
    `| data | ${list(present.map((r) => r.data))} |`,
    `| wall time | ${span === undefined ? '-' : `${duration(span)} from the first start to the last end`}; ${duration(summed)} summed over runs |`,
    `| runs started | ${starts.length ? `${new Date(Math.min(...starts)).toISOString()} to ${new Date(Math.max(...starts)).toISOString()}` : '-'} |`,
  ];
}

/**
 * The folder's results, refused when a run's files are corrupt, no run has rows to plot (no metrics yet, or only
 * diverged runs have them), or (without --allow-mixed) runs of another config than experiment.yaml's would share
 * one report.
 */
function readReportable(dir: string, allowMixed: boolean): ExperimentResults {
  const results = readExperimentResults(dir);
  refuseMixed(dir, driftsOf(results.runs), allowMixed);
  const corrupt = results.runs.filter((r) => r.problem);
  if (corrupt.length > 0) {
    throw new UserError(
      `${dir}: result files that cannot be read (ln-repro run reruns these runs):\n${corrupt.map((r) => `  - ${r.problem}`).join('\n')}`,
    );
  }
  if (!results.runs.some(plotted)) throw new UserError(noMetrics(dir, results.runs));
  return results;
}

/**
 * Why no run has a row to plot: diverged runs' rows are not plotted, and those runs are finished (`run` skips them,
 * rerunning the same config gives the same), so "run the experiment" is said only of runs that have not run.
 */
function noMetrics(dir: string, runs: readonly RunResult[]): string {
  const diverged = runs.filter((r) => r.status === 'diverged');
  const first = diverged[0]?.record?.message;
  const why = `(${diverged.length} of ${runs.length}; ${diverged[0]?.runId}${first ? `: ${first}` : ''})`;
  const redo =
    'ln-repro run does not rerun a diverged run of the same config (it would diverge again): change what made them diverge (e.g. a lower train.learningRate) and run again';
  if (diverged.length === runs.length) return `${dir}: every run diverged ${why}, so there is nothing to plot; ${redo}`;
  const rest = 'the others have no metrics yet: run the experiment (ln-repro run)';
  if (diverged.length > 0) return `${dir}: no run has metrics to plot: some diverged ${why}; ${rest}`;
  return `${dir}: no run has metrics yet (no rows in any <runId>/metrics.csv); run the experiment first (ln-repro run)`;
}

/** Renders each chart to SVG and PNG in `dir`, then the task's pictures of each run (PNG). */
async function writeFigures(dir: string, experiment: Experiment, runs: readonly RunResult[]): Promise<ReportFigure[]> {
  const figures: ReportFigure[] = [];
  for (const f of figureSpecs(experiment, runs)) {
    const svg = await toSvg(f.spec);
    writeAtomic(join(dir, `${f.name}.svg`), svg);
    writeAtomic(join(dir, `${f.name}.png`), toPng(svg));
    figures.push({ name: f.name, title: f.title, svg: `${f.name}.svg`, png: `${f.name}.png` });
  }
  const task = taskOf(runs[0].config);
  for (const picture of task.pictures ?? []) figures.push(...(await writePictures(dir, runs, task.name, picture)));
  return figures;
}

function figureSection(figures: readonly ReportFigure[]): string[] {
  return [
    '## Figures',
    '',
    ...figures.flatMap((f) => [
      `### ${f.title}`,
      '',
      `![${f.title}](${f.png})`,
      '',
      ...(f.svg ? [`Vector version: [${f.svg}](${f.svg}).`, ''] : []),
    ]),
  ];
}

function finalSection(experiment: Experiment, runs: readonly RunResult[]): string[] {
  const seeds = seedsOf(Object.keys(experiment.sweep), runs);
  const factors = factorKeys(Object.keys(experiment.sweep));
  return [
    '## Final metrics',
    '',
    `Last epoch of each complete run; ${seeds.keys.length ? `mean ± standard deviation over the ${seeds.count} seeds of a row (${seeds.keys.join(', ')})` : 'one run per row'}.`,
    '',
    ...finalTable(runs, factors, taskOf(runs[0].config).finalColumns),
    '',
  ];
}

/** The diverged runs, each with why: the value that blew up, the untrained model's loss and the bound it set. */
function divergedSection(runs: readonly RunResult[]): string[] {
  const diverged = runs.filter((r) => r.status === 'diverged');
  if (diverged.length === 0) return [];
  return [
    '## Diverged runs',
    '',
    'Left out of the claims, the figures and the final metrics.',
    '',
    '| run | untrained loss (step 0) | bound | why |',
    '|---|---|---|---|',
    ...diverged.map(
      (r) =>
        `| ${cell(r.runId)} | ${fixed(r.record?.initial_loss, 2)} | ${fixed(r.record?.loss_bound, 2)} | ${cell(r.record?.message ?? '-')} |`,
    ),
    '',
  ];
}

function configSection(experimentYaml: string, first: Readonly<RunConfig>): string[] {
  return [
    '## Config',
    '',
    'The experiment as run (`experiment.yaml`, after `--set`):',
    '',
    '```yaml',
    experimentYaml.trimEnd(),
    '```',
    '',
    `The resolved config of the first run, every default filled in (each run's own is \`<runId>/config.yaml\`):`,
    '',
    '```yaml',
    YAML.stringify(first).trimEnd(),
    '```',
    '',
  ];
}

/** Builds the report of experiment folder `dir` and writes report.md and the figures into it. */
export async function writeReport(dir: string, opts: ReportOptions = {}): Promise<ReportOutcome> {
  const { experiment, experimentYaml, runs } = readReportable(dir, opts.allowMixed ?? false);
  const claims = experiment.claims.map((c) => evaluateClaim(c, runs));
  const figures = await writeFigures(dir, experiment, runs.filter(plotted));
  const first = runs[0].config;
  const md = [
    `# ${experiment.name}: report`,
    '',
    ...(first.description ? [first.description, ''] : []),
    `Generated ${new Date().toISOString()} by ln-repro ${version} (\`ln-repro report ${dir}\`).`,
    '',
    ...provenance(
      dir,
      experiment,
      runs.map((r) => r.record),
    ),
    '',
    ...mixedSection(driftsOf(runs)),
    '## Claims',
    '',
    ...claimTable(claims),
    '',
    ...figureSection(figures),
    ...finalSection(experiment, runs),
    ...divergedSection(runs),
    ...configSection(experimentYaml, first),
  ].join('\n');
  writeAtomic(join(dir, 'report.md'), md);
  return { markdown: md, figures, claims };
}
