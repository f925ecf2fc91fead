// The stroke data `data.source: hanzi` reads (the handwriting task, src/tasks/handwriting/): the npm package hanzi-writer-data 2.0.1 (Make Me a Hanzi's
// medians of 9,574 characters, extracted from Arphic's fonts; Arphic Public License, ARPHICPL.TXT beside the data),
// one `<character>.json` a character, listed by reading the folder and sorted by code point. A dependency, so
// `npm ci` brings it; everything is derived at load time and nothing derived is written or committed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../errors';
import { permutation, rngFor } from '../rng';
import { pickSequences, type Dataset, type SequenceSet } from '../types';
import { HANZI_SPACING, hanziSequences, type Character, type HanziMeta, type Point } from './hanzi';

export const HANZI_PACKAGE = 'hanzi-writer-data';
export const HANZI_VERSION = '2.0.1';
/** The package's licence file, which anything derived from the data must keep with it. */
export const HANZI_LICENCE = 'ARPHICPL.TXT';
/** Character files in hanzi-writer-data 2.0.1 (fewer means a damaged install). */
export const HANZI_CHARACTERS = 9574;

const NPM = `reinstall the npm package ${HANZI_PACKAGE}: \`npm ci\` (or \`rm -rf node_modules/${HANZI_PACKAGE} && npm ci\`)`;

/** Where hanzi-writer-data is installed (where npm would put it, when it is not). */
export function hanziDataDir(): string {
  try {
    return dirname(require.resolve(`${HANZI_PACKAGE}/package.json`));
  } catch {
    return join('node_modules', HANZI_PACKAGE);
  }
}

const isPoint = (p: unknown): p is Point =>
  Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v));

const isMedians = (m: unknown): m is Point[][] =>
  Array.isArray(m) && m.length > 0 && m.every((s) => Array.isArray(s) && s.length > 0 && s.every(isPoint));

/** One character's file, checked: its medians, a non-empty list of non-empty lists of [x, y]. */
function readCharacter(dir: string, file: string): Character {
  const path = join(dir, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`data.source hanzi: ${path} is unreadable or not JSON (${(e as Error).message}); ${NPM}`);
  }
  const medians = (parsed as { medians?: unknown } | null)?.medians;
  if (!isMedians(medians)) throw new UserError(`data.source hanzi: ${path} has no valid "medians"; ${NPM}`);
  return { char: file.slice(0, -'.json'.length), medians };
}

const codePoint = (file: string) => file.codePointAt(0) ?? 0;

/**
 * Every character of the package in `dir`, in code-point order. UserErrors name the missing or damaged file and
 * say `npm ci`: the folder or its licence missing, fewer character files than `expected`, a file not JSON.
 */
export function loadHanziCharacters(dir: string, expected = HANZI_CHARACTERS): Character[] {
  const key = `${dir}\0${expected}`;
  const cached = parsed.get(key);
  if (cached) return cached;
  const characters = readCharacters(dir, expected);
  parsed.set(key, characters);
  return characters;
}

/**
 * The package's characters parsed, by folder: a sweep's runs and the tests read the same 9,574 files once (read-only
 * data, some 15 MB in memory).
 */
const parsed = new Map<string, Character[]>();

function readCharacters(dir: string, expected: number): Character[] {
  const where = `data.source hanzi (${dir})`;
  if (!existsSync(dir)) throw new UserError(`${where}: the npm package ${HANZI_PACKAGE} is missing; ${NPM}`);
  if (!existsSync(join(dir, HANZI_LICENCE))) throw new UserError(`${where}: missing ${HANZI_LICENCE}; ${NPM}`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && [...f.slice(0, -5)].length === 1)
    .sort((a, b) => codePoint(a) - codePoint(b));
  if (files.length < expected) {
    throw new UserError(`${where}: ${files.length} character files (<character>.json), expected ${expected}; ${NPM}`);
  }
  return files.map((f) => readCharacter(dir, f));
}

/** The data keys the hanzi data reads: sequence counts, the seed of their subsets, characters a sequence. */
export interface HanziConfig {
  readonly train: number;
  readonly test: number;
  readonly seed: number;
  readonly charsPerSequence: number;
}

function subset(set: SequenceSet, count: number, seed: number, key: 'train' | 'test'): SequenceSet {
  if (count > set.count) {
    throw new UserError(`data.${key}: asked for ${count} sequences, the hanzi ${key} split has ${set.count}`);
  }
  if (count === set.count) return set;
  return pickSequences(set, permutation(set.count, rngFor(seed, `${key}-subset`)).subarray(0, count));
}

/** The run's stroke sequences: the fixed split's seeded subsets of data.train and data.test sequences. */
export function loadHanzi(cfg: HanziConfig, dir = hanziDataDir()): Dataset<SequenceSet> & { readonly meta: HanziMeta } {
  const characters = loadHanziCharacters(dir);
  const all = hanziSequences({ characters, charsPerSequence: cfg.charsPerSequence, spacing: HANZI_SPACING });
  return {
    train: subset(all.train, cfg.train, cfg.seed, 'train'),
    test: subset(all.test, cfg.test, cfg.seed, 'test'),
    meta: all.meta,
    origin: `hanzi (Make Me a Hanzi, npm ${HANZI_PACKAGE} ${HANZI_VERSION}, ${dir}; Arphic Public License, ${HANZI_LICENCE})`,
  };
}
