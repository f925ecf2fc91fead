// Numbers as the progress lines, tables and reports print them.

/** `x` with `digits` decimals, or `-` for a value that is absent (an empty metrics.csv cell). */
export const fixed = (x: number | null | undefined, digits = 4): string =>
  x === undefined || x === null ? '-' : x.toFixed(digits);
