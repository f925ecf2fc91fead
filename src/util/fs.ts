// Result files, each written atomically (temporary file in the same folder, then rename). A write that fails
// (read-only folder, full disk, a file where a folder should be) removes its temporary file and is a UserError
// naming the path: `cannot write <path>: <reason>`.
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import YAML from 'yaml';
import { UserError } from '../errors';
import { HOST, processGone } from './process';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'a file stands where a folder is needed',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * Node's recursive mkdir reports ENOENT when a parent cannot be created (read-only, no permission): the nearest
 * existing ancestor's own error says why.
 */
function diagnose(path: string, err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (err.code !== 'ENOENT') return err;
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory() ? err : Object.assign(new Error(`${dir} is a file`), { code: 'ENOTDIR' });
  } catch (cause) {
    return cause as NodeJS.ErrnoException;
  }
}

/** A file-system error as a user can act on it. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e.code && REASONS[e.code] ? `${REASONS[e.code]} (${e.code})` : undefined) ?? e.message ?? String(err);
}

/** Test hook: with LN_REPRO_TEST_FAIL_WRITES_AFTER=N, every write of this process after its N-th fails as on a full disk. */
let writes = 0;
function injectedFailure(): NodeJS.ErrnoException | undefined {
  const after = process.env.LN_REPRO_TEST_FAIL_WRITES_AFTER;
  if (after === undefined || ++writes <= Number(after)) return undefined;
  return Object.assign(new Error('ENOSPC: no space left on device (injected by LN_REPRO_TEST_FAIL_WRITES_AFTER)'), {
    code: 'ENOSPC',
  });
}

/** The temporary name this process writes `name` under: `<name>.tmp-<host>-<pid>` (folders may be shared between hosts). */
export function temporaryName(name: string): string {
  return `${name}.tmp-${HOST}-${process.pid}`;
}

/**
 * What stands at a path, links followed, in words: the one wording of every message about it (classify adds what
 * links it meets).
 */
function kindOf(st: import('node:fs').Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** What stands at a path, looked at without opening it (opening a FIFO waits for a writer, forever). */
export interface PathState {
  /**
   * Through symbolic links: nothing (`none`), nothing possible (`below a file`: a part of the path is a file), a
   * regular file, a folder, something else (a FIFO, a device, a socket), a link to nothing or a link loop (`broken`),
   * or an error looking (`unreadable`, e.g. no permission).
   */
  at: 'none' | 'below a file' | 'file' | 'folder' | 'special' | 'broken' | 'unreadable';
  /** The path itself is a symbolic link (what a rename over it would replace, its target untouched). */
  link: boolean;
  /** `at` in words, through links: 'a FIFO', 'a symbolic link to a folder', 'a symbolic link loop'; or the error. */
  what: string;
  /** What the path itself is, in words: as `what`, but 'a symbolic link' for any link. */
  itself: string;
}

/** What stands at `path` (PathState), for reading (fileAt) and writing (the output checks, writeAtomic) alike. */
export function classify(path: string): PathState {
  const link = lstatOrUndefined(path)?.isSymbolicLink() ?? false;
  const state = (at: PathState['at'], what: string): PathState => ({
    at,
    link,
    what,
    itself: link ? 'a symbolic link' : what,
  });
  let st: import('node:fs').Stats;
  try {
    st = statSync(path); // follows links
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return state('broken', 'a symbolic link loop');
    if (code === 'ENOENT') return link ? state('broken', 'a symbolic link to nothing') : state('none', 'nothing');
    if (code === 'ENOTDIR') return state('below a file', fsReason(err));
    return state('unreadable', fsReason(err));
  }
  const at = st.isFile() ? 'file' : st.isDirectory() ? 'folder' : 'special';
  return state(at, `${link ? 'a symbolic link to ' : ''}${kindOf(st)}`);
}

/**
 * What stands at `path` for reading, looked at before opening it (classify): `none` (nothing there), `file` (a
 * regular file, through links), or why it cannot be read as a file, in words.
 */
export function fileAt(path: string): 'none' | 'file' | { problem: string } {
  const s = classify(path);
  if (s.at === 'none' || s.at === 'below a file') return 'none';
  if (s.at === 'file') return 'file';
  if (s.at === 'folder') return { problem: `${s.what}, not a file` };
  if (s.at === 'special') return { problem: `${s.what}, not a regular file` };
  return { problem: s.at === 'unreadable' ? `cannot be read: ${s.what}` : s.what };
}

/** Nothing but a regular file, not through a link, is there: what writeAtomic's rename may replace. */
const replaceable = (s: PathState) => !s.link && (s.at === 'none' || s.at === 'file' || s.at === 'below a file');

/** The text of `path` (undefined when nothing is there), or why it is not a readable regular file (fileAt). */
export function readRegularFile(path: string): string | undefined | { problem: string } {
  const at = fileAt(path);
  if (at !== 'file') return at === 'none' ? undefined : at;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return { problem: `cannot be read: ${fsReason(err)}` };
  }
}

/**
 * Checks a file the user named for output (`--json FILE`) before any work: nothing there yet, or a regular file
 * (written anew), where folders are or can be made (as writeAtomic makes them). Anything else is refused (a UserError
 * naming the option and the path): writeAtomic's rename would replace it, a symbolic link itself (its target
 * untouched) and a FIFO or device by a regular file, and a folder, or a file where a folder is needed, would be found
 * only after the work, its results lost.
 */
export function checkOutputFile(path: string, option: string): void {
  const s = classify(path);
  if (s.at === 'below a file' || s.at === 'unreadable') throw new UserError(`${option} ${path}: ${s.what}`);
  if (!replaceable(s))
    throw new UserError(`${option} ${path}: ${s.itself} is there; give the path of a regular file or of a new one`);
  checkParentFolder(path, option);
}

/**
 * Checks a folder the user named for output (`run --out DIR`) before any work: nothing there yet (made later, with its
 * parents, which must be folders), or a folder. A symbolic link to a folder is written through (results on another
 * disk); a file, a FIFO, a device, a link to one of them or to nothing is refused. A path below a file is left to
 * checkOutputFile of the first file to be written there, whose message names it.
 */
export function checkOutputFolder(path: string, option: string): void {
  const s = classify(path);
  if (s.at === 'folder' || s.at === 'below a file') return;
  if (s.at === 'none') return checkParentFolder(path, option);
  if (s.at === 'unreadable') throw new UserError(`${option} ${path}: ${s.what}`);
  if (s.at === 'broken') throw new UserError(`${option} ${path}: ${s.what} is there; give a folder or a new path`);
  throw new UserError(`${option} ${path}: ${s.what} is there, not a folder`);
}

function lstatOrUndefined(path: string): import('node:fs').Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The nearest existing ancestor of a path yet to be made must be a folder. */
function checkParentFolder(path: string, option: string): void {
  let folder = dirname(resolve(path));
  while (!existsSync(folder)) folder = dirname(folder);
  if (!statSync(folder).isDirectory()) throw new UserError(`${option} ${path}: ${folder} is not a folder`);
}

/**
 * The files among `names` in folder `dir` that exist and are not regular files (what writeAtomic would refuse), as
 * `<path>: <kind>`; for checks before any work of the files a command writes into a folder it is given.
 */
export function specialFiles(dir: string, names: readonly string[]): string[] {
  return names.flatMap((n) => {
    const s = classify(join(dir, n));
    return replaceable(s) || s.at === 'unreadable' ? [] : [`${join(dir, n)}: ${s.itself}`];
  });
}

/** Refuses (a UserError naming each) the files among `names` in `dir` that exist and are not regular files. */
export function refuseSpecialFiles(dir: string, names: readonly string[]): void {
  const special = specialFiles(dir, names);
  if (special.length > 0)
    throw new UserError(
      `cannot write into ${dir}: only a regular file is replaced, and ${special.join(', ')} (remove or move it)`,
    );
}

/**
 * Replaces `path` by `text` (temporary file, then rename). What stands at `path` must be a regular file or nothing:
 * the rename would replace a symbolic link itself (its target untouched) and a FIFO or a device by a regular file.
 */
export function writeAtomic(path: string, text: string | Uint8Array): void {
  const there = classify(path);
  if (!replaceable(there) && there.at !== 'unreadable')
    throw new UserError(`cannot write ${path}: ${there.itself} is there (only a regular file is replaced)`);
  const tmp = join(dirname(path), temporaryName(basename(path)));
  try {
    mkdirSync(dirname(path), { recursive: true });
    const injected = injectedFailure();
    if (injected) throw injected;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was created there (the folder itself is missing or not a folder)
    }
    throw new UserError(`cannot write ${path}: ${fsReason(diagnose(path, err as NodeJS.ErrnoException))}`);
  }
}

/**
 * Removes the temporary files in `dir` left by processes of this host that have ended (`*.tmp-<host>-<pid>`, and
 * `*.tmp-<pid>` of earlier versions); those of live processes and of other hosts stay. Returns their names.
 */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no folder yet
  }
  const stale = names.filter((n) => {
    const m = /\.tmp-(?:(.+)-)?(\d+)$/.exec(n);
    return m !== null && (m[1] === undefined || m[1] === HOST) && processGone(Number(m[2]));
  });
  for (const n of stale) {
    try {
      rmSync(join(dir, n), { force: true });
    } catch {
      // left for the next run to try
    }
  }
  return stale;
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeYaml(path: string, value: unknown): void {
  writeAtomic(path, YAML.stringify(value));
}

/** Numbers are written with full float64 precision; null and undefined as empty cells. */
export function writeCsv(path: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): void {
  writeAtomic(path, stringify(rows as Record<string, unknown>[], { header: true, columns: columns as string[] }));
}
