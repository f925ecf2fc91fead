// Sentence triples for skip-thoughts: triples of hand-made chapters (never across a chapter or a book), the
// vocabulary of the training chapters alone, truncation, determinism, the cache's keys, and the real books' counts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentencesKey, type ChapterSentences } from '../src/data/text/corpus';
import { sentencesOf, type Sentence } from '../src/data/text/sentences';
import {
  DEFAULT_TRIPLE_SETTINGS,
  deriveTriples,
  EOS,
  loadTriples,
  tripleAt,
  triplesKey,
  type TripleData,
  type TripleSplit,
} from '../src/data/text/triples';
import type { TextSplit } from '../src/data/text/vocab';

const words = (text: string): Sentence => ({ tokens: text.split(' '), entities: [] });
const chapter = (book: string, index: number, split: TextSplit, texts: string[]): ChapterSentences => ({
  book,
  chapter: index,
  split,
  sentences: texts.map(words),
});

/**
 * Two books: a's chapter 0 (4 sentences) and chapter 1 (3), b's chapter 0 (2: no triple), all training; b's
 * chapter 1 a test chapter of 3 sentences whose words `ishmael`, `saw` and `harpoon` no training chapter has.
 */
const CHAPTERS = [
  chapter('a', 0, 'train', ['the sea', 'the ship sailed', 'a whale', 'the end of it']),
  chapter('a', 1, 'train', ['a new day', 'the sea rose', 'the ship']),
  chapter('b', 0, 'train', ['a whale rose', 'the end']),
  chapter('b', 1, 'test', ['ishmael saw the sea', 'a harpoon', 'the whale sailed']),
];
const SETTINGS = { maxVocab: 100, maxTokens: null };

/** Every triple of a split as three strings of words. */
const readable = (data: TripleData, split: TripleSplit) =>
  split.centres.map((_, k) => {
    const t = tripleAt(split, k);
    return [t.previous, t.current, t.next].map((s) => s.map((id) => data.vocabulary[id]).join(' '));
  });

describe('triples: hand-made chapters', () => {
  const data = deriveTriples(CHAPTERS, SETTINGS);
  it('gives each sentence with its neighbours inside its chapter only, never across a chapter or a book', () => {
    assert.deepEqual(readable(data, data.train), [
      ['the sea', 'the ship sailed', 'a whale'],
      ['the ship sailed', 'a whale', 'the end of it'],
      ['a new day', 'the sea rose', 'the ship'],
    ]);
    assert.deepEqual(data.train.chapters, [
      { key: 'a/0', start: 0, count: 4 },
      { key: 'a/1', start: 4, count: 3 },
      { key: 'b/0', start: 7, count: 2 },
    ]);
    assert.deepEqual(data.valid, { sentences: [], centres: [], chapters: [] });
  });
  it('builds the vocabulary from the training chapters alone: test-only words are <unk>', () => {
    assert.deepEqual(data.vocabulary.slice(0, 5), ['<pad>', '<unk>', EOS, 'the', 'a']);
    for (const w of ['ishmael', 'saw', 'harpoon']) assert.ok(!data.vocabulary.includes(w), w);
    assert.deepEqual(readable(data, data.test), [['<unk> <unk> the sea', 'a <unk>', 'the whale sailed']]);
  });
  it('caps the vocabulary (reserved tokens included), the rest <unk>', () => {
    const small = deriveTriples(CHAPTERS, { ...SETTINGS, maxVocab: 5 });
    assert.deepEqual(small.vocabulary, ['<pad>', '<unk>', EOS, 'the', 'a']);
    assert.deepEqual(readable(small, small.train)[0], ['the <unk>', 'the <unk> <unk>', 'a <unk>']);
  });
  it('cuts a sentence longer than maxTokens to its first maxTokens, keeping every triple', () => {
    const cut = deriveTriples(CHAPTERS, { ...SETTINGS, maxTokens: 2 });
    assert.equal(cut.truncated, 7); // every sentence of 3 or 4 words
    assert.deepEqual(readable(cut, cut.train)[1], ['the ship', 'a whale', 'the end']);
    assert.equal(cut.train.centres.length, 3);
  });
  it('keeps an entity as its words', () => {
    const [s] = sentencesOf('He sailed from New Bedford.');
    const one = deriveTriples([{ book: 'c', chapter: 0, split: 'train', sentences: [s, s, s] }], SETTINGS);
    assert.deepEqual(readable(one, one.train)[0][1], 'he sailed from new bedford');
  });
  it('is deterministic', () => assert.deepEqual(deriveTriples(CHAPTERS, SETTINGS), data));
});

describe('triples: the cache', () => {
  it('keys the file by the sentences (books, versions) and the settings; reads the same back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ln-triples-'));
    try {
      // Stand-in sentences for the default books and for Moby Dick alone, where loadChapterSentences looks first.
      writeFileSync(join(dir, `sentences-${sentencesKey()}.json`), JSON.stringify(CHAPTERS));
      writeFileSync(join(dir, `sentences-${sentencesKey(['moby-dick'])}.json`), JSON.stringify(CHAPTERS.slice(0, 1)));
      const settings = { ...DEFAULT_TRIPLE_SETTINGS, maxTokens: null, dir };
      const first = loadTriples(settings);
      assert.equal(first.key, triplesKey(settings));
      assert.deepEqual(first, { ...deriveTriples(CHAPTERS, settings), key: first.key });
      assert.deepEqual(loadTriples(settings), first);
      const triples = () => readdirSync(dir).filter((f) => f.startsWith('triples-')).length;
      assert.equal(triples(), 1);
      assert.equal(loadTriples({ ...settings, maxTokens: 2 }).truncated, 7);
      assert.equal(loadTriples({ ...settings, maxVocab: 5 }).vocabulary.length, 5);
      assert.equal(loadTriples({ ...settings, books: ['moby-dick'] }).train.centres.length, 2);
      assert.equal(triples(), 4);
      assert.equal(loadTriples({ ...settings, books: ['brown', 'moby-dick', 'brown'] }).key, first.key);
      assert.equal(triples(), 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('triples: the real books (default: Moby Dick and Brown fiction; cached in data/text)', () => {
  let data: TripleData;
  before(() => (data = loadTriples(DEFAULT_TRIPLE_SETTINGS)));
  it('has the triples per split, the vocabulary and the truncations measured', () => {
    const counts = (['train', 'valid', 'test'] as const).map((s) => [data[s].sentences.length, data[s].centres.length]);
    assert.deepEqual(counts, [
      [23849, 23411],
      [2102, 2060],
      [2090, 2048],
    ]);
    assert.equal(data.vocabulary.length, 20000);
    assert.equal(data.truncated, 997); // of 28,041 sentences longer than 50 tokens
  });
  it('keeps every triple inside one chapter', () => {
    for (const split of ['train', 'valid', 'test'] as const) {
      const inner = new Set<number>();
      for (const c of data[split].chapters) for (let i = c.start + 1; i < c.start + c.count - 1; i++) inner.add(i);
      assert.deepEqual(data[split].centres, [...inner], split);
    }
  });
});
