// Turns zod issues into messages a user can act on: file, dotted path, what was expected, what was found.
import { z } from 'zod';
import { formatPath, getAt, keysOf, schemaAt, suggestKey, unwrap, type Path } from './paths';

/** Short rendering of a value found in the config. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // As YAML writes them (JSON would print null): what the user wrote.
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function didYouMean(suggestion: string | undefined): string {
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}

/**
 * For a discriminated union (model: kind) and the object found, the option its discriminator picks, and which
 * other options have a given key, so that a key of another model kind is named as such.
 */
function variantOf(schema: z.ZodTypeAny, found: unknown, path: Path) {
  const s = unwrap(schema);
  if (!(s instanceof z.ZodDiscriminatedUnion) || typeof found !== 'object' || found === null) return undefined;
  const discriminator = s.discriminator as string;
  const value = (found as Record<string, unknown>)[discriminator];
  const options = s.options as z.ZodObject<z.ZodRawShape>[];
  const valueOf = (o: z.ZodObject<z.ZodRawShape>) => (o.shape[discriminator] as z.ZodLiteral<string>).value;
  const option = options.find((o) => valueOf(o) === value);
  if (!option) return undefined;
  const kindsWith = (key: string) => options.filter((o) => o !== option && key in o.shape).map(valueOf);
  return { discriminator: formatPath([...path, discriminator]), value: String(value), option, kindsWith };
}

/** One line per unknown key: the keys valid there, a near miss, or the model kind the key belongs to. */
function unknownKeys(issue: z.ZodUnrecognizedKeysIssue, found: unknown, schema: z.ZodTypeAny): string[] {
  const path = issue.path;
  const lookup = schemaAt(schema, path);
  const variant = lookup.ok ? variantOf(lookup.schema, found, path) : undefined;
  const candidates = variant ? keysOf(variant.option) : lookup.ok ? keysOf(lookup.schema) : [];
  return issue.keys.map((key) => {
    const at = formatPath([...path, key]);
    const elsewhere = variant ? variant.kindsWith(key) : [];
    if (variant && elsewhere.length > 0) {
      return `${at}: ${key} is a key of ${variant.discriminator} ${elsewhere.join(', ')}, not of ${variant.discriminator} ${variant.value}; valid keys here: ${candidates.join(', ')}`;
    }
    return `${at}: unknown key${didYouMean(suggestKey(key, candidates))}; valid keys here: ${candidates.join(', ')}`;
  });
}

/** One line per problem, without the file prefix. `raw` is the object that was validated. */
function describeIssue(issue: z.ZodIssue, raw: unknown, schema: z.ZodTypeAny): string[] {
  const path = issue.path;
  const where = formatPath(path);
  const found = getAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownKeys(issue, found, schema);
    case 'invalid_type':
      if (found === undefined) return [`${where}: missing; expected ${issue.expected}`];
      if (issue.expected === 'number' && Number.isNaN(found))
        return [`${where}: expected a finite number, found ${show(found)}`];
      return [`${where}: expected ${issue.expected}, found ${show(found)}`];
    case 'not_finite':
      return [`${where}: expected a finite number, found ${show(found)}`];
    case 'invalid_enum_value':
      return [
        `${where}: expected one of ${issue.options.map(String).join(' | ')}, found ${show(found)}${didYouMean(
          typeof found === 'string' ? suggestKey(found, issue.options.map(String)) : undefined,
        )}`,
      ];
    case 'invalid_union_discriminator':
      return [`${where}: expected one of ${issue.options.map(String).join(' | ')}, found ${show(found)}`];
    case 'invalid_literal':
      return [`${where}: expected ${show(issue.expected)}, found ${show(found)}`];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what =
        issue.type === 'array' ? 'a list with length ' : issue.type === 'string' ? 'a text of length ' : 'a value ';
      return [`${where}: expected ${what}${op} ${String(bound)}, found ${show(found)}`];
    }
    default:
      // A check on a defaulted key (nothing written in the file) says what it found in its message, and so does
      // one whose message opens with the value ("train.batchSize: 16 is larger than data.train (8)").
      return [
        found === undefined || issue.message.startsWith(`${show(found)} `)
          ? `${where}: ${issue.message}`
          : `${where}: ${issue.message}, found ${show(found)}`,
      ];
  }
}

/**
 * One message per key: the first issue of each path. zod reports every check of a chain that fails
 * (`positiveInt.min(2)` at 0: "> 0" and ">= 2"). The checks across sections skip values already refused
 * (src/tasks/schema.ts), so a key refused is not also named in another key's message.
 */
export function describeError(error: z.ZodError, raw: unknown, schema: z.ZodTypeAny): string[] {
  const seen = new Set<string>();
  const first = error.issues.filter((issue) => {
    const key = JSON.stringify(issue.path);
    if (issue.path.length === 0) return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return first.flatMap((issue) => describeIssue(issue, raw, schema));
}
