// Cloze questions in the manner of the Children's Book Test (Hill et al. 2016, named-entity questions): a window of
// `contextSentences` consecutive sentences of one chapter, the next sentence as the query with one named entity
// replaced by @placeholder, and `candidates` entities of the context (the answer among them) to choose from.
// Entities are anonymized per question as @entity0, @entity1, ... in order of first appearance (Hermann et al.
// 2015 did so for CNN and Daily Mail, so that a model must read the context rather than remember who is who).
// Pure: the entities come from sentences.ts's detector, the choices from rngFor (seed, 'cloze', chapter, query).
import { rngFor, type Rng } from '../rng';
import type { Sentence } from './sentences';

export const PLACEHOLDER = '@placeholder';
export const entityToken = (k: number) => `@entity${k}`;

export interface ClozeSettings {
  /** Sentences of context before the query (CBT: 20). */
  readonly contextSentences: number;
  /** Candidates a question offers, the answer among them (CBT: 10). */
  readonly candidates: number;
  readonly seed: number;
}

export interface ClozeQuestion {
  /** `<chapter key>/<query sentence index>`. */
  readonly id: string;
  /** The context's sentences, entities anonymized. */
  readonly context: readonly (readonly string[])[];
  /** The query sentence, entities anonymized, the answer's one occurrence replaced by @placeholder. */
  readonly query: readonly string[];
  /** The answer's anonymized token (`@entity<k>`). */
  readonly answer: string;
  /** `candidates` anonymized entities of the context, in order of their numbers; the answer is one. */
  readonly candidates: readonly string[];
  /** What each @entity<k> stands for (for inspection and precision checks; no model reads it). */
  readonly entities: readonly string[];
}

/** Distinct entity tokens in order of first appearance. */
function entityOrder(sentences: readonly Sentence[]): string[] {
  const seen = new Set<string>();
  for (const s of sentences) for (const i of s.entities) seen.add(s.tokens[i]);
  return [...seen];
}

/** `count` items of `from` drawn without replacement (a partial Fisher-Yates on a copy). */
function draw<T>(from: readonly T[], count: number, rng: Rng): T[] {
  const pool = [...from];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

/**
 * The query's positions that may be the answer: an entity that the context names and that occurs once in the query
 * (a second occurrence, anonymized, would give the answer away).
 */
function answerPositions(query: Sentence, named: ReadonlySet<string>): number[] {
  const count = new Map<string, number>();
  for (const i of query.entities) count.set(query.tokens[i], (count.get(query.tokens[i]) ?? 0) + 1);
  return query.entities.filter((i) => named.has(query.tokens[i]) && count.get(query.tokens[i]) === 1);
}

/** Tokens with entities replaced by their anonymized names. */
function anonymize(s: Sentence, names: ReadonlyMap<string, string>): string[] {
  const isEntity = new Set(s.entities);
  return s.tokens.map((t, i) => (isEntity.has(i) ? (names.get(t) ?? t) : t));
}

/** The question whose query is `sentences[q]`, or undefined when it has no answer or too few candidates. */
export function questionAt(options: {
  sentences: readonly Sentence[];
  q: number;
  key: string;
  settings: ClozeSettings;
}): ClozeQuestion | undefined {
  const { sentences, q, key, settings } = options;
  if (q < settings.contextSentences || q >= sentences.length) return undefined;
  const context = sentences.slice(q - settings.contextSentences, q);
  const named = entityOrder(context);
  if (named.length < settings.candidates) return undefined;
  const positions = answerPositions(sentences[q], new Set(named));
  if (positions.length === 0) return undefined;
  const rng = rngFor(settings.seed, 'cloze', key, q);
  const position = positions[Math.floor(rng() * positions.length)];
  const answer = sentences[q].tokens[position];
  const others = draw(
    named.filter((e) => e !== answer),
    settings.candidates - 1,
    rng,
  );
  const entities = entityOrder([...context, sentences[q]]);
  const names = new Map(entities.map((e, k) => [e, entityToken(k)]));
  const query = anonymize(sentences[q], names);
  query[position] = PLACEHOLDER;
  const candidates = [answer, ...others].map((e) => entities.indexOf(e)).sort((a, b) => a - b);
  return {
    id: `${key}/${q}`,
    context: context.map((s) => anonymize(s, names)),
    query,
    answer: names.get(answer) ?? answer,
    candidates: candidates.map(entityToken),
    entities,
  };
}

/** Every question of one chapter's sentences, in order of their query sentence. */
export function clozeQuestions(options: {
  sentences: readonly Sentence[];
  key: string;
  settings: ClozeSettings;
}): ClozeQuestion[] {
  const out: ClozeQuestion[] = [];
  for (let q = options.settings.contextSentences; q < options.sentences.length; q++) {
    const question = questionAt({ ...options, q });
    if (question) out.push(question);
  }
  return out;
}
