// Plain values read from YAML or JSON (configs, run records): telling a map from a list or a scalar.

/** A map of keys to values: an object that is not null and not a list. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
