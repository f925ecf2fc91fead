// The cloze task's data as the reader reads it (data.source cloze): the cached questions (corpus.ts) of the training,
// validation and test splits, each a set of documents (the context's sentences end to end), queries, answers and
// candidates, entities as indices 0.. of the vocabulary's @entity tokens. Subsets are seeded, in question order.
import { UserError } from '../../errors';
import { orderedSample, rngFor } from '../rng';
import type { Examples } from '../types';
import { entityToken } from './cloze';
import { loadTextData, type EncodedQuestion, type TextSettings } from './corpus';
import type { TextSplit } from './vocab';

export interface ClozeSet extends Examples {
  /** Each question's document: its context's token ids, sentence after sentence. */
  readonly documents: readonly Int32Array[];
  /** Each document's sentence lengths (for pictures). */
  readonly sentences: readonly Int32Array[];
  readonly queries: readonly Int32Array[];
  /** Each question's answer, an entity index (0 = @entity0). */
  readonly answers: Int32Array;
  /** Each question's candidate entity indices, the answer among them. */
  readonly candidates: readonly Int32Array[];
  /** Question ids (`<book>/<chapter>/<query sentence>`). */
  readonly ids: readonly string[];
}

export interface ClozeData {
  readonly train: ClozeSet;
  readonly valid: ClozeSet;
  readonly test: ClozeSet;
  readonly vocabulary: readonly string[];
  /** Entity tokens (@entity0 ..), ids firstEntity .. firstEntity + entities - 1 of the vocabulary. */
  readonly entities: number;
  readonly firstEntity: number;
  readonly origin: string;
}

/** The vocabulary's @entity tokens: the first one's id and how many there are (their ids are consecutive). */
export function entityRange(vocabulary: readonly string[]): { first: number; count: number } {
  const first = vocabulary.indexOf(entityToken(0));
  let count = 0;
  while (first >= 0 && vocabulary[first + count] === entityToken(count)) count++;
  if (count === 0) throw new Error('the text vocabulary has no @entity tokens');
  return { first, count };
}

/** The questions as a set, entities as indices (ids minus `first`). */
export function clozeSet(questions: readonly EncodedQuestion[], first: number): ClozeSet {
  return {
    count: questions.length,
    documents: questions.map((q) => Int32Array.from(q.context.flat())),
    sentences: questions.map((q) => Int32Array.from(q.context, (s) => s.length)),
    queries: questions.map((q) => Int32Array.from(q.query)),
    answers: Int32Array.from(questions, (q) => q.answer - first),
    candidates: questions.map((q) => Int32Array.from(q.candidates, (c) => c - first)),
    ids: questions.map((q) => q.id),
  };
}

/** `count` of `questions`, a seeded choice kept in question order. */
function subset(
  questions: readonly EncodedQuestion[],
  count: number,
  split: TextSplit,
  seed: number,
): EncodedQuestion[] {
  if (count === questions.length) return [...questions];
  return Array.from(orderedSample(questions.length, count, rngFor(seed, 'cloze', split)), (i) => questions[i]);
}

/**
 * The cloze data: data.train training questions, data.test of the validation and of the test questions each
 * (seeded subsets of the splits when fewer), from the cached text data (built on first use, ~20 s).
 */
export function loadCloze(o: {
  train: number;
  test: number;
  seed: number;
  settings: TextSettings;
  dir?: string;
}): ClozeData {
  const text = loadTextData({ settings: o.settings, dir: o.dir });
  const { first, count } = entityRange(text.vocabulary);
  const available = (s: TextSplit) => text.questions[s].length;
  const sizes = (['train', 'valid', 'test'] as const).map(available).join(' / ');
  const refuse = (key: string, asked: number, most: number, what: string) => {
    const settings = `data.books [${o.settings.books.join(', ')}], data.contextSentences ${o.settings.cloze.contextSentences} and data.candidates ${o.settings.cloze.candidates}`;
    throw new UserError(
      `${key}: ${asked} ${what} asked for, but ${settings} give ${sizes} questions (train / valid / test); set ${key} to at most ${most}`,
    );
  };
  if (o.train > available('train')) refuse('data.train', o.train, available('train'), 'training questions');
  const most = Math.min(available('valid'), available('test'));
  if (o.test > most) refuse('data.test', o.test, most, 'validation and test questions each');
  const pick = (split: TextSplit, n: number) => clozeSet(subset(text.questions[split], n, split, o.seed), first);
  return {
    train: pick('train', o.train),
    valid: pick('valid', o.test),
    test: pick('test', o.test),
    vocabulary: text.vocabulary,
    entities: count,
    firstEntity: first,
    origin: `cloze questions from the books ${o.settings.books.join(', ')} (README, Text data), text data ${text.key}: ${sizes} questions in train / valid / test`,
  };
}
