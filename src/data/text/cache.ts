// The cache of derived text data under data/text/ (git-ignored): each file named by a hash of what it depends on
// (source packages' versions, the code's format number, the settings), so that a change gives a new file rather
// than a stale one read silently; written atomically.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeAtomic } from '../../util/fs';

/** A 16-hex-digit key of a JSON value (the file names of the cache). */
export const hash = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

/** The cached value at `path`, or `make()` written there atomically. A file that does not parse is remade. */
export function cached<T>(path: string, make: () => T): T {
  if (existsSync(path)) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      // a damaged cache file: derive it again
    }
  }
  const value = make();
  writeAtomic(path, JSON.stringify(value));
  return value;
}
