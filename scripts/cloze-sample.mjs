// Prints cloze questions' queries with their answers (what @placeholder stands for), so that a person can count
// how many answers are real named entities: `npm run build && node scripts/cloze-sample.mjs [count=100] [seed=1]`.
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire(import.meta.url);
// The compiled module has no declarations to read from here: its type is stated (src/data/text/sample.ts).
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
const sample = /** @type {{ clozeSample: (options: { count: number; seed: number }) => string[] }} */ (
  require('../dist/src/data/text/sample.js')
);
const lines = sample.clozeSample({ count: Number(process.argv[2] ?? 100), seed: Number(process.argv[3] ?? 1) });
process.stdout.write(`${lines.join('\n')}\n`);
