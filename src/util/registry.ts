// Finding a kind's implementation by its name: a norm, model, cell or task named `x` in a family's catalog is
// implemented by the module `<family folder>/x` (its folder's index, or a file of that name), as big_vision finds
// `big_vision.models.<name>`. The catalogs, which the config and the report read, import no tfjs; the
// implementations do, and are loaded here only when something is built.
import { join } from 'node:path';

const loaded = new Map<string, unknown>();

/**
 * The `implementation` export of module `<dir>/<name>`, checked by `valid`; `family` names the kind in messages
 * (e.g. `norm`). Loaded once per process.
 */
export function implementationOf<T>(dir: string, family: string, name: string, valid: (x: unknown) => x is T): T {
  const path = join(dir, name);
  if (!loaded.has(path)) {
    let module: { implementation?: unknown };
    try {
      // A computed path (the kind's name): the import cannot be a literal one.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      module = require(path) as { implementation?: unknown };
    } catch (err) {
      // Only the kind's own module missing is "no implementation" (the first line of Node's message names the
      // module it looked for; later lines list the requiring modules); an error inside it propagates as it is.
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'MODULE_NOT_FOUND' || e.message.split('\n')[0] !== `Cannot find module '${path}'`) throw err;
      throw new Error(`${family} ${name}: no implementation (no module ${path}, nor ${path}/index)`, { cause: err });
    }
    loaded.set(path, module.implementation);
  }
  const implementation = loaded.get(path);
  if (!valid(implementation)) throw new Error(`${family} ${name}: ${path} does not export a valid \`implementation\``);
  return implementation;
}
