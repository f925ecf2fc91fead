// Sentence splitting, tokenization and named entities with compromise (MIT, rule-based with a bundled lexicon:
// offline and deterministic). Chosen over wink-nlp (faster: 0.8 s against 7.2 s for all of Moby Dick on one core,
// but its English model finds dates and numbers, not people or places) and sbd (sentences only, no tokens): the
// cloze questions need named entities, and compromise's people(), places() and organizations() find them. The
// time is paid once: the result is cached (corpus.ts).
import nlp from 'compromise';

/**
 * One sentence: lower-case word tokens (compromise's `normal` form: punctuation dropped, contractions expanded),
 * a named entity as ONE token (its words joined by spaces, e.g. `new bedford`), `entities` the indices of those.
 */
export interface Sentence {
  readonly tokens: readonly string[];
  readonly entities: readonly number[];
}

interface Term {
  readonly id: string;
  readonly normal: string;
  readonly tags: readonly string[];
}
interface Match {
  readonly terms: readonly Term[];
}
type Doc = ReturnType<typeof nlp>;

/** compromise's version (its package.json is not exported): part of the cache key of derived sentences. */
export const SPLITTER = `compromise@${nlp.version}`;

const json = (doc: { json(options: object): unknown }): Match[] =>
  doc.json({ terms: { id: true, normal: true, tags: true } }) as Match[];

/** A title (Captain, Mr.), a pronoun (I) or a date word (November) is never (the start of) an entity. */
const plain = (t: Term) => ['Honorific', 'Pronoun', 'Date'].some((tag) => t.tags.includes(tag)) || t.normal === '';

/** Each span's first term id with its term ids, a span's leading titles left out. */
function addSpan(spans: Map<string, readonly string[]>, terms: readonly Term[]): void {
  let start = 0;
  while (start < terms.length && plain(terms[start])) start++;
  const ids = terms.slice(start).map((t) => t.id);
  if (ids.length > 0 && !spans.has(ids[0])) spans.set(ids[0], ids);
}

/**
 * The entity detector: the spans of compromise's people(), places() and organizations() matches, then runs of
 * terms compromise tags #ProperNoun that do not start their sentence (a sentence's first word is capitalized
 * anyway), joined to a match they precede; titles (#Honorific: Captain, Mr.), pronouns and dates stay ordinary
 * tokens.
 */
function entitySpans(doc: Doc): Map<string, readonly string[]> {
  const spans = new Map<string, readonly string[]>();
  for (const found of [doc.people(), doc.places(), doc.organizations()])
    for (const match of json(found)) addSpan(spans, match.terms);
  const inSpan = new Set([...spans.values()].flat());
  for (const sentence of json(doc)) {
    let run: Term[] = [];
    for (const [i, t] of [...sentence.terms, undefined].entries()) {
      if (t && i > 0 && !inSpan.has(t.id) && t.tags.includes('ProperNoun') && !plain(t)) {
        run.push(t);
        continue;
      }
      const next = t && spans.get(t.id); // a run just before a span joins it: New + Bedford
      if (run.length > 0 && next) spans.delete(t.id);
      if (run.length > 0) spans.set(run[0].id, [...run.map((r) => r.id), ...(next || [])]);
      run = [];
    }
  }
  return spans;
}

/** A sentence's terms as tokens, each entity span one token. */
function sentenceOf(terms: readonly Term[], spans: Map<string, readonly string[]>): Sentence {
  const tokens: string[] = [];
  const entities: number[] = [];
  const normals = new Map(terms.map((t) => [t.id, t.normal]));
  for (let i = 0; i < terms.length; i++) {
    const span = spans.get(terms[i].id);
    if (span) {
      entities.push(tokens.length);
      tokens.push(span.map((id) => normals.get(id) ?? '').join(' '));
      i += span.length - 1;
    } else if (terms[i].normal !== '') tokens.push(terms[i].normal);
  }
  return { tokens, entities };
}

/** The paragraphs of a text: separated by blank lines, each one line with its white space collapsed. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
}

/** A text's sentences (no sentence crosses a paragraph), those with no word token left out. */
export function sentencesOf(text: string): Sentence[] {
  const out: Sentence[] = [];
  for (const paragraph of paragraphs(text)) {
    const doc = nlp(paragraph);
    const spans = entitySpans(doc);
    for (const s of json(doc)) {
      const sentence = sentenceOf(s.terms, spans);
      if (sentence.tokens.length > 0) out.push(sentence);
    }
  }
  return out;
}

/**
 * A sentence's words: its tokens with each multi-word entity (`new bedford`) split back into its words, so that a
 * word-level model (skip-thoughts) sees `new` and `bedford`, each of which may be in its vocabulary, rather than one
 * rare token that would mostly be `<unk>`.
 */
export const sentenceWords = (s: Sentence): string[] => s.tokens.flatMap((t) => t.split(' '));
