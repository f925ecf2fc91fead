// ln-repro's version, as package.json states it.

// package.json lies outside tsc's output (dist/), so it is required at run time rather than imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { version } = require('../../../package.json') as { version: string };
