// The identity of a resolved config: a run is skipped when its folder records a finished run of the same hash.
import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** SHA-256 of the resolved config with sorted keys: equal configs, equal hashes, whatever the key order. */
export function configHash(config: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(config)))
    .digest('hex');
}
