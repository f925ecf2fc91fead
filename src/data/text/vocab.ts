// The vocabulary (from the training split only) and the deterministic split of chapters into train, validation
// and test: every window of sentences lies inside one chapter, so no window is shared between splits.

export type TextSplit = 'train' | 'valid' | 'test';

/**
 * The split of a book's chapter `index` (0-based): the 10th, 20th, ... chapter (index 9, 19, ...) to test, the
 * 11th, 21st, ... (index 10, 20, ...) to validation, the rest (80% or more) to training.
 */
export function chapterSplit(index: number): TextSplit {
  if (index % 10 === 9) return 'test';
  if (index % 10 === 0 && index > 0) return 'valid';
  return 'train';
}

export const PAD = '<pad>';
export const UNK = '<unk>';

/** Token ids: `words[id]` is the token, `ids` its inverse. */
export interface Vocabulary {
  readonly words: readonly string[];
  readonly ids: ReadonlyMap<string, number>;
}

export function vocabularyOf(words: readonly string[]): Vocabulary {
  return { words, ids: new Map(words.map((w, i) => [w, i])) };
}

/**
 * The `reserved` tokens (ids 0.., `<pad>` and `<unk>` first), then the `maxSize - reserved` most frequent of
 * `tokens`, ties broken by code-unit order of the token (not by locale, so every machine agrees).
 */
export function buildVocabulary(options: {
  tokens: Iterable<string>;
  maxSize: number;
  reserved?: readonly string[];
}): Vocabulary {
  const reserved = [PAD, UNK, ...(options.reserved ?? []).filter((w) => w !== PAD && w !== UNK)];
  const counts = new Map<string, number>();
  for (const t of options.tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const r of reserved) counts.delete(r);
  const ranked = [...counts].sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0));
  const room = Math.max(0, options.maxSize - reserved.length);
  return vocabularyOf([...reserved, ...ranked.slice(0, room).map(([w]) => w)]);
}

/** Token ids, `<unk>` for a token outside the vocabulary. */
export function encode(vocab: Vocabulary, tokens: readonly string[]): number[] {
  const unk = vocab.ids.get(UNK) ?? 1;
  return tokens.map((t) => vocab.ids.get(t) ?? unk);
}
