// The text data of the cloze task, derived once and cached under data/text/ (git-ignored): the selected books'
// sentences (the slow part, compromise: ~16 s for the npm books' ~470k words, ~20 s more for Austen's ~720k), keyed
// by the selection, the source packages' and compromise's versions; then the vocabulary and the questions as token
// ids, keyed by those and by the settings. A changed package, selection or setting gives a new key, so a new file;
// each file is written atomically.
import { join } from 'node:path';
import {
  austenVersion,
  bookSets,
  DEFAULT_BOOKS,
  packageVersion,
  readBooks,
  TEXT_PACKAGES,
  type BookSet,
} from './books';
import { cached, hash } from './cache';
import { clozeQuestions, entityToken, PLACEHOLDER, type ClozeQuestion, type ClozeSettings } from './cloze';
import { sentencesOf, SPLITTER, type Sentence } from './sentences';
import { buildVocabulary, chapterSplit, encode, type TextSplit, type Vocabulary } from './vocab';

/**
 * Bump with any change to what books.ts, sentences.ts or cloze.ts derive (the versions and settings do not show
 * it, and a stale cache would be read silently). 2: proper-noun runs join the match they precede (New Bedford).
 */
const FORMAT = 2;
export const TEXT_SPLITS: readonly TextSplit[] = ['train', 'valid', 'test'];

export interface TextSettings {
  /** The sets of books read (books.ts BOOK_SETS). */
  readonly books: readonly BookSet[];
  /** Vocabulary size cap, reserved tokens included. */
  readonly maxVocab: number;
  readonly cloze: ClozeSettings;
}

export const DEFAULT_TEXT_SETTINGS: TextSettings = {
  books: DEFAULT_BOOKS,
  maxVocab: 20000,
  cloze: { contextSentences: 20, candidates: 10, seed: 1 },
};

/** One chapter's sentences, with the split it belongs to. */
export interface ChapterSentences {
  readonly book: string;
  readonly chapter: number;
  readonly split: TextSplit;
  readonly sentences: readonly Sentence[];
}

/** A question as token ids of `vocabulary`. */
export interface EncodedQuestion {
  readonly id: string;
  readonly context: readonly (readonly number[])[];
  readonly query: readonly number[];
  readonly answer: number;
  readonly candidates: readonly number[];
}

export interface TextData {
  readonly key: string;
  readonly vocabulary: readonly string[];
  readonly questions: Readonly<Record<TextSplit, readonly EncodedQuestion[]>>;
}

/** The source package of each set of books, with its installed version (npm's, or Debian's for Austen). */
const SOURCES: Readonly<Record<BookSet, () => string>> = {
  'moby-dick': () => `${TEXT_PACKAGES.mobyDick}@${packageVersion(TEXT_PACKAGES.mobyDick)}`,
  brown: () => `${TEXT_PACKAGES.brown}@${packageVersion(TEXT_PACKAGES.brown)}`,
  austen: () => `r-cran-janeaustenr@${austenVersion()}`,
};

/**
 * What the sentences of `books` depend on: the selected sets' source packages' versions (in BOOK_SETS order, so
 * the default's key is the one it had before the selection existed), the splitter's version, this code's format.
 */
export function sentencesKey(books: readonly BookSet[] = DEFAULT_BOOKS): string {
  return hash({ FORMAT, versions: [...bookSets(books).map((b) => SOURCES[b]()), SPLITTER] });
}

/** The chapters of the selected books as sentences (no cache). */
export function chapterSentences(books: readonly BookSet[] = DEFAULT_BOOKS): ChapterSentences[] {
  return readBooks(books).flatMap((book) =>
    book.chapters.map((text, chapter) => ({
      book: book.id,
      chapter,
      split: chapterSplit(chapter),
      sentences: sentencesOf(text),
    })),
  );
}

/** The sentences of every chapter of the selected books, cached in `dir` (default data/text). */
export function loadChapterSentences(
  dir = join('data', 'text'),
  books: readonly BookSet[] = DEFAULT_BOOKS,
): ChapterSentences[] {
  return cached(join(dir, `sentences-${sentencesKey(books)}.json`), () => chapterSentences(books));
}

/** Every chapter's questions, by split. */
export function questionsBySplit(
  chapters: readonly ChapterSentences[],
  settings: ClozeSettings,
): Record<TextSplit, ClozeQuestion[]> {
  const out: Record<TextSplit, ClozeQuestion[]> = { train: [], valid: [], test: [] };
  for (const c of chapters)
    out[c.split].push(...clozeQuestions({ sentences: c.sentences, key: `${c.book}/${c.chapter}`, settings }));
  return out;
}

/** The vocabulary: <pad>, <unk>, @placeholder, @entity0..(most a question names - 1), then training words. */
export function textVocabulary(options: {
  chapters: readonly ChapterSentences[];
  questions: Record<TextSplit, ClozeQuestion[]>;
  maxSize: number;
}): Vocabulary {
  const most = Math.max(0, ...TEXT_SPLITS.flatMap((s) => options.questions[s].map((q) => q.entities.length)));
  const reserved = [PLACEHOLDER, ...Array.from({ length: most }, (_, k) => entityToken(k))];
  function* words() {
    for (const c of options.chapters)
      if (c.split === 'train')
        for (const s of c.sentences) {
          const isEntity = new Set(s.entities);
          for (let i = 0; i < s.tokens.length; i++) if (!isEntity.has(i)) yield s.tokens[i];
        }
  }
  return buildVocabulary({ tokens: words(), maxSize: options.maxSize, reserved });
}

/** A question as token ids. */
export function encodeQuestion(vocab: Vocabulary, q: ClozeQuestion): EncodedQuestion {
  const [answer, ...candidates] = encode(vocab, [q.answer, ...q.candidates]);
  const context = q.context.map((s) => encode(vocab, s));
  return { id: q.id, context, query: encode(vocab, q.query), answer, candidates };
}

/** The vocabulary and the questions as token ids, from `chapters` (no cache). */
export function deriveTextData(chapters: readonly ChapterSentences[], settings: TextSettings, key = ''): TextData {
  const questions = questionsBySplit(chapters, settings.cloze);
  const vocab = textVocabulary({ chapters, questions, maxSize: settings.maxVocab });
  const encoded = (s: TextSplit) => questions[s].map((q) => encodeQuestion(vocab, q));
  return {
    key,
    vocabulary: vocab.words,
    questions: { train: encoded('train'), valid: encoded('valid'), test: encoded('test') },
  };
}

/**
 * The cloze task's data of `settings.books`, cached in `dir` (default data/text) under a key of the packages and
 * `settings` (the books in BOOK_SETS order, so that their order and repeats give the same key).
 */
export function loadTextData(options: { settings?: TextSettings; dir?: string } = {}): TextData {
  const settings = options.settings ?? DEFAULT_TEXT_SETTINGS;
  const dir = options.dir ?? join('data', 'text');
  const key = hash({
    sentences: sentencesKey(settings.books),
    settings: { ...settings, books: bookSets(settings.books) },
  });
  const chapters = () => loadChapterSentences(dir, settings.books);
  return cached(join(dir, `cloze-${key}.json`), () => deriveTextData(chapters(), settings, key));
}
