// The retrieval task's columns, figures and data keys (paper section 6.1, on digit strips): the ranking loss per
// pair, recall@K in percent and mean rank in both directions; strips of minDigits..maxDigits digits.
import { positiveInt } from '../../util/fields';
import { fixed } from '../../util/format';
import type { EpochMetrics } from '../../metrics/types';
import type { TaskSpec } from '../spec';

/** Digits per strip. */
export const DIGITS = { min: 1, max: 3 } as const;

const DIRECTIONS = ['caption', 'image'] as const;
/** Recall@1/5/10 (percent) and mean rank, caption retrieval then image retrieval. */
export const RECALL_COLUMNS = DIRECTIONS.flatMap((d) => ['r1', 'r5', 'r10', 'mean_rank'].map((k) => `${d}_${k}`));

/** A row's recall@1/5/10 (percent) and mean rank in one direction, e.g. `caption R@1/5/10 12.3/40.1/60.2 rank 9.8`. */
function recallText(row: EpochMetrics, dir: (typeof DIRECTIONS)[number]): string {
  const r = (k: string) => fixed(row[`${dir}_${k}`], 1);
  return `${dir} R@1/5/10 ${r('r1')}/${r('r5')}/${r('r10')} rank ${r('mean_rank')}`;
}

const bars = (dir: string) => ({ 'R@1': `${dir}_r1`, 'R@5': `${dir}_r5`, 'R@10': `${dir}_r10` });

export const retrieval = {
  name: 'retrieval',
  columns: ['train_ranking_loss', ...RECALL_COLUMNS],
  lossColumn: 'train_ranking_loss',
  // The test metrics (recall, ranks) are not losses: the bound applies to the training loss per pair alone.
  divergence: { factor: 10, columns: ['train_ranking_loss'] },
  claimable: ['train_ranking_loss', ...RECALL_COLUMNS],
  epochText: (row) =>
    `train_ranking_loss ${fixed(row.train_ranking_loss)} ${recallText(row, 'caption')} ${recallText(row, 'image')}`,
  tableColumns: ['caption_r1', 'caption_r10', 'image_r1', 'image_r10', 'train_ranking_loss'],
  curves: [
    { measure: 'train_ranking_loss', title: 'train ranking loss per pair (log scale)', log: true },
    { measure: 'caption_r1', title: 'caption R@1 (%)', domain: [0, 100] },
    { measure: 'image_r1', title: 'image R@1 (%)', domain: [0, 100] },
  ],
  sweepAxis: { measure: 'caption_r1', title: 'caption R@1 (%)' },
  // Recall in percent and mean ranks to two decimals.
  finalColumns: [
    { measure: 'train_ranking_loss', digits: 4 },
    ...RECALL_COLUMNS.map((measure) => ({ measure, digits: 2 })),
  ],
  bars: [
    {
      name: 'recall',
      heading: 'Retrieval recall@K',
      title: 'retrieval recall@K on the test pairs',
      xTitle: 'recall at K',
      yTitle: 'recall (% of queries)',
      domain: [0, 100],
      groups: [
        { title: 'caption retrieval (image query)', bars: bars('caption') },
        { title: 'image retrieval (caption query)', bars: bars('image') },
      ],
    },
  ],
  dataFields: {
    /** Strips only: digits per strip, drawn uniformly from minDigits..maxDigits (DIGITS). */
    minDigits: positiveInt.optional(),
    maxDigits: positiveInt.max(10).optional(),
  },
  resolveData: (data) =>
    data.view === 'strips'
      ? { ...data, minDigits: data.minDigits ?? DIGITS.min, maxDigits: data.maxDigits ?? DIGITS.max }
      : data,
  checks: [
    ({ data }) =>
      data.view === 'strips' || (data.minDigits === undefined && data.maxDigits === undefined)
        ? undefined
        : { path: ['data', 'view'], message: 'minDigits and maxDigits apply to data.view strips only' },
    ({ data }) =>
      ((data.minDigits as number | undefined) ?? DIGITS.min) <= ((data.maxDigits as number | undefined) ?? DIGITS.max)
        ? undefined
        : {
            path: ['data', 'minDigits'],
            message: `minDigits must not exceed maxDigits (defaults ${DIGITS.min} and ${DIGITS.max})`,
          },
  ],
} satisfies TaskSpec;
