// Turns zod issues into messages a user can act on: file, dotted path, what was expected, what was found.
import { z } from 'zod';
import { formatPath, getAt, keysOf, schemaAt, suggestKey, type Path } from './paths';

/** Short rendering of a value found in the config. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function didYouMean(suggestion: string | undefined): string {
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}

/** One line per problem, without the file prefix. `raw` is the object that was validated. */
export function describeIssue(issue: z.ZodIssue, raw: unknown, schema: z.ZodTypeAny): string[] {
  const path = issue.path as Path;
  const where = formatPath(path);
  const found = getAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const lookup = schemaAt(schema, path);
      const candidates = lookup.ok ? keysOf(lookup.schema) : [];
      return issue.keys.map(
        (key) => `${formatPath([...path, key])}: unknown key${didYouMean(suggestKey(key, candidates))}; valid keys here: ${candidates.join(', ')}`,
      );
    }
    case 'invalid_type':
      if (found === undefined) return [`${where}: missing; expected ${issue.expected}`];
      return [`${where}: expected ${issue.expected}, found ${show(found)}`];
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
      const what = issue.type === 'array' ? 'a list with length ' : issue.type === 'string' ? 'a text of length ' : 'a value ';
      return [`${where}: expected ${what}${op} ${String(bound)}, found ${show(found)}`];
    }
    default:
      return [`${where}: ${issue.message}, found ${show(found)}`];
  }
}

export function describeError(error: z.ZodError, raw: unknown, schema: z.ZodTypeAny): string[] {
  return error.issues.flatMap((issue) => describeIssue(issue, raw, schema));
}
