// Sentence triples for skip-thought vectors (Kiros et al. 2015; the paper's section 6.3): each sentence of
// contiguous text with the one before and the one after, as token ids of a vocabulary of the training chapters.
// Contiguous text is one chapter: a triple never spans two chapters (so never two books). Chapter rather than book
// because a Brown pseudo-book's chapters are unrelated 2,000-word samples of different authors, a novel's chapter
// ends on a scene change, and chapters are what chapterSplit assigns to train / valid / test, so a triple across
// chapters could join sentences of two splits. Cached under data/text/ like the cloze data (corpus.ts).
import { join } from 'node:path';
import { bookSets, DEFAULT_BOOKS, type BookSet } from './books';
import { cached, hash } from './cache';
import { loadChapterSentences, sentencesKey, type ChapterSentences } from './corpus';
import { sentenceWords } from './sentences';
import { buildVocabulary, encode, type TextSplit, type Vocabulary } from './vocab';

/**
 * Bump with any change to what this file derives from the chapters' sentences (the sentences' own changes show in
 * sentencesKey).
 */
const FORMAT = 1;

/** The decoders' end of sentence (Kiros et al. end every sentence with it); reserved at id 2, after <pad>, <unk>. */
export const EOS = '<eos>';

export interface TripleSettings {
  /** The sets of books read (books.ts BOOK_SETS). */
  readonly books: readonly BookSet[];
  /** Vocabulary size cap, reserved tokens (<pad>, <unk>, <eos>) included. */
  readonly maxVocab: number;
  /**
   * Longest sentence in tokens: a longer one keeps its first maxTokens (null: no cap). Cut rather than dropped: a
   * dropped sentence would remove the three triples it is part of, or join two sentences that are not neighbours.
   */
  readonly maxTokens: number | null;
}

/**
 * Kiros et al.'s 20,000 words. 50 tokens cuts 997 of the default books' 28,041 sentences (3.6%; the median has 13,
 * Moby Dick's longest 474), which bounds a batch's padded length on 2 cores; null keeps every token.
 */
export const DEFAULT_TRIPLE_SETTINGS: TripleSettings = { books: DEFAULT_BOOKS, maxVocab: 20000, maxTokens: 50 };

/** A chapter's sentences in its split's list: `sentences[start .. start + count - 1]`. */
export interface ChapterSpan {
  /** `<book id>/<chapter index>`, as the cloze questions name chapters. */
  readonly key: string;
  readonly start: number;
  readonly count: number;
}

/** One split's sentences and triples; a triple is three consecutive sentences of one chapter. */
export interface TripleSplit {
  /** The split's sentences, chapter after chapter in reading order, as token ids (no <eos>). */
  readonly sentences: readonly (readonly number[])[];
  /** The triples by their current sentence: triple k is sentences[c - 1], sentences[c], sentences[c + 1], c = centres[k]. */
  readonly centres: readonly number[];
  readonly chapters: readonly ChapterSpan[];
}

export interface TripleData extends Readonly<Record<TextSplit, TripleSplit>> {
  readonly key: string;
  readonly vocabulary: readonly string[];
  /** Sentences cut to maxTokens, all splits. */
  readonly truncated: number;
}

export interface Triple {
  readonly previous: readonly number[];
  readonly current: readonly number[];
  readonly next: readonly number[];
}

/** Triple `k` of a split. */
export function tripleAt(split: TripleSplit, k: number): Triple {
  const c = split.centres[k];
  return { previous: split.sentences[c - 1], current: split.sentences[c], next: split.sentences[c + 1] };
}

/**
 * The vocabulary: <pad>, <unk>, <eos>, then the commonest words of the training chapters alone (validation and test
 * words the training text lacks are <unk>, as words unseen in training would be). Entities are kept, as their words
 * (sentenceWords): a name recurs in neighbouring sentences, which is what the decoders can learn to predict; the
 * cloze task's anonymization answers another question (reading, not remembering who is who).
 */
export function tripleVocabulary(chapters: readonly ChapterSentences[], maxSize: number): Vocabulary {
  function* words() {
    for (const c of chapters) if (c.split === 'train') for (const s of c.sentences) yield* sentenceWords(s);
  }
  return buildVocabulary({ tokens: words(), maxSize, reserved: [EOS] });
}

/** The chapters of one split as a TripleSplit; `cut` counts the sentences truncated. */
function tripleSplit(o: {
  chapters: readonly ChapterSentences[];
  vocab: Vocabulary;
  maxTokens: number | null;
  cut: { count: number };
}): TripleSplit {
  const sentences: number[][] = [];
  const centres: number[] = [];
  const spans: ChapterSpan[] = [];
  for (const c of o.chapters) {
    const start = sentences.length;
    for (const s of c.sentences) {
      const ids = encode(o.vocab, sentenceWords(s));
      if (o.maxTokens !== null && ids.length > o.maxTokens) o.cut.count++;
      sentences.push(o.maxTokens === null ? ids : ids.slice(0, o.maxTokens));
    }
    for (let i = start + 1; i < sentences.length - 1; i++) centres.push(i);
    spans.push({ key: `${c.book}/${c.chapter}`, start, count: sentences.length - start });
  }
  return { sentences, centres, chapters: spans };
}

/** The vocabulary and every split's triples from `chapters` (no cache). */
export function deriveTriples(
  chapters: readonly ChapterSentences[],
  settings: Omit<TripleSettings, 'books'>,
  key = '',
): TripleData {
  const vocab = tripleVocabulary(chapters, settings.maxVocab);
  const cut = { count: 0 };
  const split = (s: TextSplit) =>
    tripleSplit({ chapters: chapters.filter((c) => c.split === s), vocab, maxTokens: settings.maxTokens, cut });
  const [train, valid, test] = [split('train'), split('valid'), split('test')];
  return { key, vocabulary: vocab.words, train, valid, test, truncated: cut.count };
}

/** The cache key: the sentences' (source packages, compromise, their format), this file's format, the settings. */
export function triplesKey(settings: TripleSettings): string {
  const { maxVocab, maxTokens } = settings;
  return hash({
    sentences: sentencesKey(settings.books),
    FORMAT,
    books: bookSets(settings.books),
    maxVocab,
    maxTokens,
  });
}

/**
 * The sentence triples of `books` (data.source books-sentences), cached in `dir` (default data/text):
 * built from the cached sentences (corpus.ts; ~17 s the first time for the default books) in about a second.
 */
export function loadTriples(options: TripleSettings & { dir?: string }): TripleData {
  const { dir = join('data', 'text'), ...settings } = options;
  const key = triplesKey(settings);
  return cached(join(dir, `triples-${key}.json`), () =>
    deriveTriples(loadChapterSentences(dir, settings.books), settings, key),
  );
}
