// The data keys of the tasks that read books (the reader's cloze questions, skip-thought's sentence triples): which
// books, and the vocabulary's cap. Each such task lists them in its dataFields; the schema refuses them under any
// data.source that none of those tasks reads (src/tasks/schema.ts).
import { z } from 'zod';
import { BOOK_SETS } from '../data/text/books';

export const bookFields = {
  /**
   * Text data only (cloze, books-sentences): the sets of books read (README, Text data): moby-dick and brown (npm,
   * the default), austen (Debian's r-cran-janeaustenr: `make data-austen`).
   */
  books: z.array(z.enum(BOOK_SETS)).min(1).optional(),
  /** Text data only: the vocabulary's size cap, reserved tokens included (from the training chapters). */
  maxVocab: z.number().int().min(100).optional(),
};
