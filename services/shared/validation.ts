/** Request validation: zod schemas whose first failure becomes a 400 naming the field. */
import { z } from 'zod';
import { AppError } from './errors';

/** `items[0].quantity` style path of a zod issue. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Parses `input` or throws VALIDATION_FAILED naming the first bad field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, root?: string): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = fieldPath(issue.path);
  const field = root ? (path ? `${root}.${path}` : root) : path || undefined;
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'is required';
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    return fail(field ? `${field}.${keys[0]}` : keys[0], 'is not a known field');
  }
  return fail(field, message);
}

function fail(field: string | undefined, message: string): never {
  throw new AppError('VALIDATION_FAILED', field ? `${field}: ${message}` : message, field);
}

export const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'must be a UUID' });
export const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be 1-64 letters, digits, _ or -' });
