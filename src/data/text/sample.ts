// Questions printed for a person to judge the entity detector (scripts/cloze-sample.mjs): each line the question's
// id, what @placeholder stands for, and the query with the other entities shown in [brackets].
import { DEFAULT_TEXT_SETTINGS, loadChapterSentences, questionsBySplit, TEXT_SPLITS } from './corpus';

/** `count` questions drawn evenly (every n-th) from all splits' questions, one line each, then the total. */
export function clozeSample(options: { count: number; seed: number; dir?: string }): string[] {
  const settings = { ...DEFAULT_TEXT_SETTINGS.cloze, seed: options.seed };
  const bySplit = questionsBySplit(loadChapterSentences(options.dir), settings);
  const all = TEXT_SPLITS.flatMap((s) => bySplit[s]);
  const named = (token: string, entities: readonly string[]) =>
    token.startsWith('@entity') ? entities[Number(token.slice('@entity'.length))] : token;
  const lines: string[] = [];
  for (let n = 0; n < Math.min(options.count, all.length); n++) {
    const q = all[Math.floor((n * all.length) / options.count)];
    const query = q.query.map((t) => (t.startsWith('@entity') ? `[${named(t, q.entities)}]` : t));
    lines.push(`${String(n + 1).padStart(3)} ${q.id}\t${named(q.answer, q.entities)}\t| ${query.join(' ')}`);
  }
  return [...lines, `${all.length} questions in all`];
}
