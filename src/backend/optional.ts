// Loads a module by a computed name: an optional package (a backend) stays out of the types and is loaded only
// when asked for.

/** `require(moduleName)`; throws as require does when the package is not installed. */
export function requireOptional(moduleName: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(moduleName);
}
