import { z } from 'zod';
import { problemsFromZod } from '../contract';
import { MemoryValidationError } from './errors';
import type { Importance, Json, StoredItem } from './types';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$/;
const idField = z.string().regex(ID, 'an id of 1-256 letters, digits or . _ : @ -, starting with a letter or digit');
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number().refine(Number.isFinite, 'a finite number'), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

export const MAX_CONTENT_LENGTH = 100_000;

/** What `store` accepts. Strict: an unknown field is a mistake worth reporting. */
export const MemoryItemSchema = z.strictObject({
  id: idField,
  content: z.string().min(1, 'a non-empty string').max(MAX_CONTENT_LENGTH, `at most ${MAX_CONTENT_LENGTH} characters`),
  conversationId: idField.optional(),
  tenantId: idField.optional(),
  role: z.string().min(1).max(64, 'at most 64 characters').optional(),
  metadata: z.record(z.string(), json).optional(),
  createdAt: z.iso.datetime({ offset: true, message: 'an ISO-8601 date-time' }).optional(),
});

export const ImportanceSchema = z.enum(['low', 'medium', 'high']);

/** Checks an untrusted item and stamps `createdAt`; throws `MemoryValidationError` naming every bad field. */
export function parseItem(input: unknown, now: Date): StoredItem {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw MemoryValidationError.of('(root)', 'an object');
  const result = MemoryItemSchema.safeParse(input);
  if (!result.success) throw new MemoryValidationError(problemsFromZod(result.error));
  const { createdAt, ...rest } = result.data;
  return { ...rest, createdAt: new Date(createdAt ?? now).toISOString() };
}

const IMPORTANCE: ReadonlySet<string> = new Set(ImportanceSchema.options);

export function parseImportance(input: unknown): Importance {
  // A set lookup, not a schema parse: this runs on every store() (the hot path).
  if (typeof input === 'string' && IMPORTANCE.has(input)) return input as Importance;
  throw MemoryValidationError.of('importance', 'one of "low", "medium", "high"');
}

export function parseId(field: string, input: unknown): string {
  if (typeof input !== 'string' || !ID.test(input)) throw MemoryValidationError.of(field, 'an id of 1-256 letters, digits or . _ : @ -');
  return input;
}
