// `ln-repro invariance`: the paper's Table 1 measured (paper section 5.1; claim 8) by src/invariance/, loaded (with
// tfjs) when the command runs; prints the table.
import { Command } from 'commander';
import type { InvarianceRow } from '../invariance/invariance';
import { checkOutputFile, writeJson } from '../util/fs';

export function invarianceCommand(): Command {
  return new Command('invariance')
    .description(
      "measure the paper's Table 1: which transformations of weights and data leave batch, weight and layer norm's outputs unchanged (and RMSNorm's and group norm's)",
    )
    .option(
      '--json <file>',
      'also write the rows as JSON: {"rows": [{method, transform, max_abs_change, invariant, paper, expected, source}], "tolerance"}',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ ln-repro invariance --json invariance.json\n\nExit codes: 0 every layer- and batch-norm cell agrees with the paper and every RMSNorm and group-norm cell with its prediction, 1 one does not.',
    )
    .action(async (opts: { json?: string }) => {
      if (opts.json) checkOutputFile(opts.json, '--json');
      const [{ DEFAULT_LOADERS }, invariance] = await Promise.all([
        import('../backend/select'),
        import('../invariance/invariance'),
      ]);
      await DEFAULT_LOADERS.cpu('cpu'); // a numerical check in float32 with the training ops; any backend would do
      process.exitCode = printInvariance(invariance, invariance.measureInvariance(), opts.json);
    });
}

const NAME = { batch: 'batch norm', weight: 'weight norm', layer: 'layer norm', rms: 'RMSNorm', group: 'group norm' };

/** Prints the measured table and where it disagrees with the paper's; returns the exit code. */
function printInvariance(
  { METHODS, TRANSFORMS }: typeof import('../invariance/invariance'),
  { rows, tolerance }: { rows: InvarianceRow[]; tolerance: number },
  json?: string,
): number {
  console.log(
    `Largest change of the layer's output y = g * N(a) + b (of order 1) under each transformation; invariant when <= ${tolerance}.`,
  );
  console.log(`${'transformation'.padEnd(32)} ${METHODS.map((m) => NAME[m].padStart(18)).join(' ')}`);
  for (const t of TRANSFORMS) {
    const cells = METHODS.map((m) => {
      const r = rows.find((x) => x.method === m && x.transform === t)!;
      const text = `${r.max_abs_change.toExponential(1)} ${r.invariant ? 'invariant' : 'no'}${r.invariant === r.expected ? '' : ' (!)'}`;
      return text.padStart(18);
    });
    console.log(`${t.padEnd(32)} ${cells.join(' ')}`);
  }
  const disagree = rows.filter((r) => r.invariant !== r.expected);
  for (const r of disagree)
    console.log(
      `(!) ${NAME[r.method]}, ${r.transform}: measured ${r.invariant ? 'invariant' : 'not invariant'}, ${r.source} says ${r.expected ? 'invariant' : 'not invariant'}`,
    );
  // Weight norm's cells are reported, not enforced (README, Claims: the paper's table and the measurement differ).
  const failing = disagree.filter((r) => r.method !== 'weight');
  const paper = rows.filter((r) => r.paper !== null);
  const agree = (rs: InvarianceRow[]) => rs.filter((r) => r.invariant === r.expected).length;
  console.log(
    `invariance: ${agree(paper)} of ${paper.length} cells agree with the paper's Table 1, ${agree(rows) - agree(paper)} of ${rows.length - paper.length} RMSNorm and group norm cells with their prediction (rms: Zhang & Sennrich 2019; group: Wu & He 2018)${failing.length ? `; ${failing.length} layer/batch/RMS/group-norm cell(s) do not` : ''}`,
  );
  if (json) writeJson(json, { tolerance, rows });
  return failing.length > 0 ? 1 : 0;
}
