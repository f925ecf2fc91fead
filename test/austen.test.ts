// Jane Austen's novels (r-cran-janeaustenr): the chapter splitter, the reader on a small package made here (its
// lazy-load database written by test/rdata-writer.ts), and the real package. The real package's test is skipped,
// saying how to install it, where it is absent; CI installs it and sets LN_REPRO_REQUIRE_AUSTEN=1, so that there a
// missing package fails instead of skipping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors';
import { austenChapters, AUSTEN_NOVELS, austenDir, austenVersion, readAusten } from '../src/data/text/books';
import { cat, HEADER, str, writeLazyLoadDb } from './rdata-writer';

/** A stand-in r-cran-janeaustenr: DESCRIPTION and six two-chapter novels, with a volume heading and end matter. */
function fakePackage(dir: string): void {
  writeFileSync(join(dir, 'DESCRIPTION'), 'Package: janeaustenr\nVersion: 9.9.9\nLicense: MIT + file LICENSE\n');
  const lines = ['EMMA', '', 'VOLUME I', '', 'CHAPTER I', '', 'Emma Woodhouse,', 'handsome.', '', 'She was.', ''];
  const more = ['VOLUME II', '', 'Chapter 2', '', 'It ended.', '', 'FINIS', '', 'A note.'];
  const novel = cat(HEADER, str([...lines, ...more]));
  writeLazyLoadDb(join(dir, 'data'), Object.fromEntries(Object.keys(AUSTEN_NOVELS).map((n) => [n, novel])));
}

describe('austen: the books', () => {
  it('splits at chapter headings, drops front matter, volume headings and end matter', () =>
    assert.deepEqual(
      austenChapters(['TITLE', 'CHAPTER 1', 'A b.', '', 'VOLUME II', 'CHAPTER I', 'C.', 'THE END', 'x']),
      ['A b.', 'C.'],
    ));
  it('reads the package named by LN_REPRO_AUSTEN_DIR, its version from DESCRIPTION', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ln-austen-'));
    fakePackage(dir);
    const before = process.env.LN_REPRO_AUSTEN_DIR;
    process.env.LN_REPRO_AUSTEN_DIR = dir;
    try {
      assert.equal(austenVersion(), '9.9.9');
      const books = readAusten();
      assert.deepEqual(
        books.map((b) => b.id),
        Object.keys(AUSTEN_NOVELS).map((n) => `austen-${n}`),
      );
      assert.deepEqual(books[3], {
        id: 'austen-emma',
        title: 'Emma (Jane Austen, 1815)',
        chapters: ['Emma Woodhouse,\nhandsome.\n\nShe was.', 'It ended.'],
      });
      rmSync(join(dir, 'data', 'Rdata.rdx'));
      assert.throws(readAusten, (err: Error) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, new RegExp(`${join(dir, 'data', 'Rdata.rdx')} is missing; .*make data-austen`));
        return true;
      });
    } finally {
      if (before === undefined) delete process.env.LN_REPRO_AUSTEN_DIR;
      else process.env.LN_REPRO_AUSTEN_DIR = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const present = existsSync(join(austenDir(), 'data', 'Rdata.rdx'));
const required = process.env.LN_REPRO_REQUIRE_AUSTEN === '1';
const skip =
  present || required
    ? false
    : `r-cran-janeaustenr is not installed in ${austenDir()}: \`sudo apt-get install r-cran-janeaustenr\` (make data-austen) runs this test`;

describe('austen: the real r-cran-janeaustenr 1.0.0', { skip }, () => {
  it('has six novels with the chapters and words measured', () => {
    assert.equal(austenVersion(), '1.0.0');
    const books = readAusten();
    const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
    // Counted in R (janeaustenr's lines between the headings) and here alike; words are runs of non-space.
    assert.deepEqual(
      books.map((b) => [b.id, b.chapters.length, b.chapters.reduce((a, c) => a + words(c), 0)]),
      [
        ['austen-sensesensibility', 50, 118456],
        ['austen-prideprejudice', 61, 121439],
        ['austen-mansfieldpark', 48, 159436],
        ['austen-emma', 55, 157320],
        ['austen-northangerabbey', 31, 76866],
        ['austen-persuasion', 24, 83229],
      ],
    );
    assert.match(books[1].chapters[0], /^It is a truth universally acknowledged/);
    assert.match(books[3].chapters.at(-1) ?? '', /perfect happiness of the union\.$/);
  });
});
