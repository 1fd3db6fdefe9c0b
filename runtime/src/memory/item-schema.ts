import { z } from 'zod';
import { problemsFromZod } from '../contract';
import { MemoryValidationError } from './errors';
import type { Importance, Json, StoredItem, TimeRange } from './types';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$/;
const idField = z.string().regex(ID, 'an id of 1-256 letters, digits or . _ : @ -, starting with a letter or digit');

export const MAX_CONTENT_LENGTH = 100_000;

/*
 * Metadata is stored as nested fields of the mid-term document (Firestore with MongoDB
 * compatibility in production), so a key or value Firestore refuses would fail every write of the
 * item, retries included: a permanent 503. These rules refuse such metadata with a 400 naming the
 * key instead, in the memory API and, through the same function, in the HTTP layer.
 *
 * Google's limits ("Quotas and limits", https://cloud.google.com/firestore/mongodb-compatibility/quotas;
 * "Behavior differences", https://cloud.google.com/firestore/mongodb-compatibility/docs/behavior-differences):
 * field names must be valid UTF-8, not empty and not match `__.*__`; a field name and a field path
 * take at most 1,500 bytes; fields nest at most 20 deep (each map and array adds a level); a value
 * takes at most 4 MiB - 89 bytes and a document 4 MiB; and documents with `$`-prefixed names
 * cannot be created by the upsert of update/findAndModify, which is how the mid-term store writes.
 *
 * FerretDB v1, the other MongoDB-wire server the mid-term store runs on (README; `npm run local`
 * and the tests), stores no array directly inside an array ("Known differences",
 * https://docs.ferretdb.io/v1.24/diff): such a write fails with "invalid value", every time. So
 * metadata holds none either (an array of objects holding arrays is fine).
 */

/** Keys of `metadata` itself; nested objects are bounded by the size limits. */
export const MAX_METADATA_KEYS = 32;
/** Characters (code points) of one key, at any level. */
export const MAX_METADATA_KEY_LENGTH = 64;
/**
 * Levels of objects and arrays, `metadata` itself the first. With keys of at most 64 code points
 * (256 bytes), the longest field path, `metadata` and five keys, stays under Firestore's 1,500
 * bytes even if every segment were quoted; and far under its depth of 20.
 */
export const MAX_METADATA_DEPTH = 5;
/**
 * Bytes of one top-level value, and of all metadata, as JSON (UTF-8). Far under Firestore's 4 MiB
 * document beside content of up to 100,000 characters; metadata is read with every recent turn,
 * so it is kept small (labels and references, not documents).
 */
export const MAX_METADATA_VALUE_BYTES = 8 * 1024;
export const MAX_METADATA_BYTES = 32 * 1024;

/** One thing wrong with metadata: the path below `metadata` (keys and array indexes) and what was expected. */
export interface MetadataIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

// Firestore's pattern is matched against the whole name; `s` so a newline does not escape it.
const RESERVED_KEY = /^__.*__$/s;

// BSON field names are NUL-terminated, and an unpaired surrogate has no UTF-8 form (`u`: only
// unpaired ones match \p{Cs}).
const NOT_A_FIELD_NAME = /[\0\p{Cs}]/u;

function keyProblem(key: string): string | undefined {
  if (key === '') return 'a non-empty key';
  if ([...key].length > MAX_METADATA_KEY_LENGTH) return `a key of at most ${MAX_METADATA_KEY_LENGTH} characters`;
  if (RESERVED_KEY.test(key)) return 'a key not of the form __name__ (Firestore reserves them)';
  if (key.startsWith('$')) return 'a key not starting with $ (Firestore cannot upsert such fields)';
  // MongoDB reads dotted field names only through $getField, and our problem paths would be ambiguous.
  if (key.includes('.')) return 'a key without "."';
  if (NOT_A_FIELD_NAME.test(key)) return 'a key of Unicode text without NUL characters';
  return undefined;
}

const JSON_VALUE = 'a JSON value (string, finite number, boolean, null, array or object)';

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Every problem of untrusted metadata but its number of keys (JSON Schema's `maxProperties` says
 * that at the HTTP layer), at the path of the key or value concerned (`[]`: metadata itself).
 * Never descends below the depth limit, so no input can exhaust the stack.
 */
export function metadataIssues(metadata: unknown): MetadataIssue[] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || !isPlainObject(metadata)) {
    return [{ path: [], message: 'an object' }];
  }
  const issues: MetadataIssue[] = [];
  const walk = (value: unknown, path: (string | number)[], depth: number): boolean => {
    const before = issues.length;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) issues.push({ path, message: 'a finite number' });
    } else if (typeof value !== 'object' || (!Array.isArray(value) && !isPlainObject(value))) {
      issues.push({ path, message: JSON_VALUE });
    } else if (depth > MAX_METADATA_DEPTH) {
      issues.push({ path, message: `at most ${MAX_METADATA_DEPTH} levels of objects and arrays, metadata included` });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (Array.isArray(v)) issues.push({ path: [...path, i], message: 'not an array directly inside an array (FerretDB v1 stores none)' });
        else walk(v, [...path, i], depth + 1);
      });
    } else {
      for (const [key, v] of Object.entries(value)) {
        const problem = keyProblem(key);
        if (problem) issues.push({ path: [...path, key], message: problem });
        else walk(v, [...path, key], depth + 1);
      }
    }
    return issues.length === before;
  };

  let clean = true;
  for (const [key, value] of Object.entries(metadata)) {
    const problem = keyProblem(key);
    if (problem) {
      issues.push({ path: [key], message: problem });
      clean = false;
    } else if (!walk(value, [key], 2)) {
      clean = false;
    } else if (byteLength(value) > MAX_METADATA_VALUE_BYTES) {
      issues.push({ path: [key], message: `at most ${MAX_METADATA_VALUE_BYTES} bytes as JSON` });
      clean = false;
    }
  }
  // Only well-formed metadata is serialized whole: the walk has bounded its depth.
  if (clean && byteLength(metadata) > MAX_METADATA_BYTES) issues.push({ path: [], message: `at most ${MAX_METADATA_BYTES} bytes as JSON` });
  return issues;
}

const MetadataSchema = z.custom<Record<string, Json>>().superRefine((value, ctx) => {
  if (typeof value === 'object' && value !== null && Object.keys(value).length > MAX_METADATA_KEYS) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_METADATA_KEYS} keys` });
  }
  for (const issue of metadataIssues(value)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
});

const isoDateTime = z.iso.datetime({ offset: true, message: 'an ISO-8601 date-time' });

/** What `store` accepts. Strict: an unknown field is a mistake worth reporting. */
export const MemoryItemSchema = z.strictObject({
  id: idField,
  content: z.string().min(1, 'a non-empty string').max(MAX_CONTENT_LENGTH, `at most ${MAX_CONTENT_LENGTH} characters`),
  conversationId: idField.optional(),
  tenantId: idField.optional(),
  role: z.string().min(1).max(64, 'at most 64 characters').optional(),
  metadata: MetadataSchema.optional(),
  createdAt: isoDateTime.optional(),
  occurredAt: isoDateTime.optional(),
});

export const ImportanceSchema = z.enum(['low', 'medium', 'high']);

/**
 * Checks an untrusted item and stamps `createdAt` (default: now) and `occurredAt` (default: its
 * `createdAt`), both normalized to UTC; throws `MemoryValidationError` naming every bad field.
 */
export function parseItem(input: unknown, now: Date): StoredItem {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw MemoryValidationError.of('(root)', 'an object');
  const result = MemoryItemSchema.safeParse(input);
  if (!result.success) throw new MemoryValidationError(problemsFromZod(result.error));
  const { createdAt, occurredAt, ...rest } = result.data;
  const stored = new Date(createdAt ?? now).toISOString();
  return { ...rest, createdAt: stored, occurredAt: occurredAt === undefined ? stored : new Date(occurredAt).toISOString() };
}

const TimeRangeSchema = z.strictObject({ occurredAfter: isoDateTime.optional(), occurredBefore: isoDateTime.optional() });

/**
 * Checks an untrusted time range: ISO-8601 date-times; returns it normalized to UTC. Throws
 * `MemoryValidationError` naming the field. A range that ends before it starts is valid and empty
 * (`isEmptyRange`), as the half-open interval it is: no JSON Schema can compare the two fields, so
 * refusing it would refuse requests the API document says are valid (schemathesis found that).
 */
export function parseTimeRange(input: TimeRange): TimeRange {
  const result = TimeRangeSchema.safeParse({ occurredAfter: input.occurredAfter, occurredBefore: input.occurredBefore });
  if (!result.success) throw new MemoryValidationError(problemsFromZod(result.error));
  const after = result.data.occurredAfter === undefined ? undefined : new Date(result.data.occurredAfter).toISOString();
  const before = result.data.occurredBefore === undefined ? undefined : new Date(result.data.occurredBefore).toISOString();
  return { ...(after === undefined ? {} : { occurredAfter: after }), ...(before === undefined ? {} : { occurredBefore: before }) };
}

/** Whether nothing can occur within `range`: `[occurredAfter, occurredBefore)` with the end not after the start. */
export function isEmptyRange(range: TimeRange): boolean {
  return range.occurredAfter !== undefined && range.occurredBefore !== undefined && range.occurredBefore <= range.occurredAfter;
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
