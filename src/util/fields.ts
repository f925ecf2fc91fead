// Config field types every schema uses (zod): a finite number, a positive whole number, a seed.
import { z } from 'zod';

/** A finite number: YAML's .inf and .nan are not numbers any key can use (a saved config must load again). */
export const finite = () => z.number().finite();
export const positiveInt = z.number().int().positive();
export const seedField = z.number().int().nonnegative();
