import { Type, type TUnsafe } from '@sinclair/typebox';
import type { FastifyServerOptions } from 'fastify';
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH, MAX_METADATA_KEYS, MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_BYTES, metadataIssues } from '../memory/item-schema';

// Ids a client names are stored tenant-scoped (`scopedId`: the tenant, at most 64, plus 4
// characters), so they are shorter than the memory's own limit of 256.
export const CLIENT_ID_MAX_LENGTH = 128;
export const ClientId = Type.String({
  pattern: `^[A-Za-z0-9][A-Za-z0-9._:@-]{0,${CLIENT_ID_MAX_LENGTH - 1}}$`,
  description: `letters, digits, . _ : @ -; at most ${CLIENT_ID_MAX_LENGTH}`,
});

const Json = Type.Unknown();

/**
 * A pattern for text that is not blank: one character `String.prototype.trim` keeps, i.e. not
 * ECMAScript WhiteSpace or LineTerminator (TAB, VT, FF, space, NBSP, ZWNBSP, the Zs category;
 * LF, CR, LS, PS; ECMA-262 §12.2-12.3), which is how memory tells a blank query. Spelled out
 * rather than `\S`: Python's and Rust's `\S` take other characters for whitespace (U+FEFF,
 * U+001C-U+001F), so schemathesis would send text it thinks fine and the service finds blank.
 */
export const NOT_BLANK = '[^\\u0009-\\u000D\\u0020\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]';

/** A string from a fixed set, as a plain JSON Schema `enum` (clients generated from OpenAPI read it better than anyOf/const). */
const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Json),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every error has this shape' },
);

/** The error responses every /v1 route can give. */
export const commonErrors = {
  400: Type.Ref('ErrorResponse'),
  401: Type.Ref('ErrorResponse'),
  413: Type.Ref('ErrorResponse'),
  429: Type.Ref('ErrorResponse'),
  500: Type.Ref('ErrorResponse'),
  503: Type.Ref('ErrorResponse'),
};

export const Item = Type.Object(
  {
    id: Type.String(),
    content: Type.String(),
    conversationId: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Json)),
    createdAt: Type.String({ format: 'date-time' }),
    occurredAt: Type.String({ format: 'date-time', description: 'When it happened (default: when it was stored)' }),
  },
  { $id: 'Item' },
);

export const Context = Type.Object(
  {
    recent: Type.Array(Type.Ref('Item')),
    related: Type.Array(Type.Ref('Item')),
    semantic: Type.Array(Type.Object({ item: Type.Ref('Item'), score: Type.Number() })),
    degraded: Type.Array(Type.String(), { description: '"<layer>: <reason>" for each memory layer that failed or timed out' }),
  },
  { $id: 'Context' },
);

const LayerCounts = Type.Object({ 'short-term': Type.Integer(), 'mid-term': Type.Integer(), 'long-term': Type.Integer() });

/** An erasure's record (`ErasureRecord`), as its requester sees it: no content, ever. */
export const Receipt = Type.Object(
  {
    id: Type.String({ description: 'The receipt id: GET /v1/memory/erasures/{id} shows it again' }),
    target: Type.Object({
      kind: StringEnum(['conversation', 'item', 'tenant']),
      id: Type.String({ description: "The client's id of the conversation or item, or the tenant" }),
    }),
    requestedBy: Type.String({ description: 'The key that asked: tenant:<tenant>#<fingerprint> or admin:<name>#<fingerprint> (SHA-256 prefix, not the key)' }),
    requestedAt: Type.String({ format: 'date-time', description: 'Writes begun before this instant into the target are refused from now on (409 ORCH_ERASED)' }),
    state: StringEnum(['pending', 'complete', 'failed']),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
    removed: Type.Optional(LayerCounts),
    failures: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'Receipt' },
);

/** What an erasure answers: items removed per layer and the receipt. */
export const Erased = Type.Object({ removed: LayerCounts, receipt: Type.Ref('Receipt') });

/**
 * One LLM call attempt (`Attempt` in llm/types.ts). The response serializer keeps only the fields
 * named here: a field added to `Attempt` or `TraceStep` must be added here too (the server tests
 * check the two agree).
 */
export const LlmAttempt = Type.Object(
  {
    deployment: Type.String({ description: 'The configured deployment name (e.g. primary, fallback-gemini)' }),
    provider: Type.String(),
    model: Type.String(),
    outcome: StringEnum(['ok', 'error', 'skipped-cooldown']),
    errorKind: Type.Optional(
      StringEnum(['rate-limit', 'server', 'timeout', 'network', 'auth', 'not-found', 'context-window', 'bad-request', 'content-filter'], {
        description: 'Why the attempt failed (LlmErrorKind)',
      }),
    ),
    status: Type.Optional(Type.Integer({ description: 'HTTP status of the failed call, when there was one' })),
    durationMs: Type.Number({ description: 'Milliseconds the attempt took' }),
  },
  { description: 'One attempt at an LLM call: which deployment, how it ended, how long it took' },
);

const TOKENS = Type.Integer({ minimum: 0 });
const COST = Type.Number({ minimum: 0, description: "In the unit of the deployments' prices (inputCostPerMillionTokens…); present when every deployment is priced" });

/** One model call's usage (`CallUsage` in agents/budget.ts). */
export const CallUsage = Type.Object(
  {
    inputTokens: TOKENS,
    outputTokens: TOKENS,
    cost: Type.Optional(COST),
    estimated: Type.Optional(Type.Boolean({ description: "True when the provider reported no usage (or part of it) and the runtime's estimate (4 characters a token) filled it in" })),
  },
  { description: 'What one model call used' },
);

/** A run's usage (`RunUsage` in agents/budget.ts). */
export const RunUsage = Type.Object(
  {
    inputTokens: TOKENS,
    outputTokens: TOKENS,
    cost: Type.Optional(COST),
    calls: Type.Integer({ minimum: 0, description: 'Model calls started (a call the budget refused never starts)' }),
  },
  { description: "What the run's model calls used, the coordinator's and every member's" },
);

/** Limits of a run (`BudgetLimits` in agents/budget.ts), as a request lowers them and an answer reports them. */
export const BudgetLimits = Type.Object(
  {
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Input + output tokens of every model call of the run' })),
    maxCost: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "Cost of every model call of the run, in the unit of the deployments' prices" })),
  },
  { additionalProperties: false },
);

const Amount = Type.Object({ tokens: TOKENS, cost: Type.Optional(COST) });

/** A run's budget as its answer reports it (`BudgetReport` in agents/budget.ts). */
export const BudgetReport = Type.Object(
  {
    limits: BudgetLimits,
    used: Amount,
    reserved: Type.Object(Amount.properties, { description: 'Held by model calls still running (none once the run has ended)' }),
    stoppedBecause: Type.Optional(
      Type.Object(
        {
          agent: Type.String(),
          deployment: Type.String({ description: 'The deployment (group) the refused call asked for' }),
          needed: Type.Object(Amount.properties, { description: 'Its worst case: the prompt estimate + its max output tokens (and their cost at the highest prices it may be routed to)' }),
          remaining: Type.Object({ tokens: Type.Optional(TOKENS), cost: Type.Optional(COST) }, { description: 'What was left, unreserved, of each limit' }),
          message: Type.String(),
        },
        { description: 'The model call the budget could not cover: it was not started and the run stopped with what it had' },
      ),
    ),
  },
  { description: 'Unlimited when `limits` is empty' },
);

/** One thing an agent did while a team answered a message (`TraceStep` in agents/trace.ts). */
export const TraceStep = Type.Object(
  {
    agent: Type.String({ description: 'The agent that acted (for delegate, the one that delegated)' }),
    action: StringEnum(['delegate', 'answer', 'llm-call', 'tool-call']),
    detail: Type.Optional(Type.String({ description: "Human-readable: the delegate's name and task, a finish reason, why a step failed" })),
    deployment: Type.Optional(Type.String({ description: 'For llm-call: the deployment that answered' })),
    provider: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    attempts: Type.Optional(Type.Array(LlmAttempt, { description: 'For llm-call: every attempt, in order, the successful one last' })),
    usage: Type.Optional(Type.Object(CallUsage.properties, { description: 'For llm-call: the tokens it used, and their cost when every deployment is priced' })),
    tool: Type.Optional(Type.String({ description: 'For tool-call: the tool, as the model called it (an MCP tool as <server>__<tool>)' })),
    startedAt: Type.String({ format: 'date-time', description: 'When the step started (ISO-8601)' }),
    durationMs: Type.Number({ description: 'Milliseconds the step took' }),
  },
  { $id: 'TraceStep', description: 'One thing an agent did while the team answered' },
);

/**
 * ajv keyword: the memory's metadata rules (`metadataIssues`), each problem reported at the key or
 * value concerned. A JSON Schema record cannot say them (TypeBox drops a record key's own limits).
 */
export const METADATA_KEYWORD = 'x-orchestra-metadata';

interface KeywordError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}
type DataValidate = ((schema: unknown, data: unknown, parentSchema: unknown, context?: { readonly instancePath: string }) => boolean) & {
  errors?: KeywordError[];
};

/** `a/b~c` → `/a~1b~0c` (RFC 6901), the form of ajv's instance paths. */
const pointer = (path: readonly (string | number)[]) => path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

type AjvPlugin = Extract<NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number], (...args: never[]) => unknown>;

/** An ajv plugin (fastify's `ajv.plugins`) adding `METADATA_KEYWORD`. */
export const metadataKeyword: AjvPlugin = (ajv) => {
  const validate: DataValidate = (_schema, data, _parentSchema, context) => {
    const issues = metadataIssues(data);
    validate.errors = issues.map((issue) => ({ keyword: METADATA_KEYWORD, instancePath: `${context?.instancePath ?? ''}${pointer(issue.path)}`, params: {}, message: issue.message }));
    return issues.length === 0;
  };
  return ajv.addKeyword({ keyword: METADATA_KEYWORD, schemaType: 'boolean', errors: true, validate });
};

/**
 * The key rules of `metadataIssues` that JSON Schema can say: 1-64 characters (code points), not
 * `__name__`, not starting with `$`, no `.`, no NUL, no unpaired surrogate. Written for each
 * engine that reads it: JSON Schema's ECMA-262 with the `u` flag (ajv, clients); Rust's regex
 * (schemathesis validates with it), which refuses a surrogate anywhere in a pattern; Python's re
 * (schemathesis generates with it through Hypothesis), which knows no `\u{…}` nor `\p{…}` and
 * spends seconds on every character class spanning the astral planes.
 *
 * So the shape of a key uses small negated classes, and unpaired surrogates are refused by one
 * leading negative lookahead: "no code point that is not a Unicode scalar value", the scalar
 * values listed as ranges that skip the surrogates. In Rust (no surrogates in its strings) the
 * lookahead never fires. Generators that ignore negative lookaheads, as Hypothesis does, still
 * generate valid keys: they make no unpaired surrogates. The top of the last range is U+10FFFF
 * itself, not an escape (ECMAScript and Rust spell it `\u{10FFFF}`, Python `\U0010FFFF`).
 *
 * The shape, without lookaheads: a key starts with anything but `_` or `$`; or with one `_`; or
 * with `__` and does not end with `__`.
 */
const SCALAR_VALUE = `[\\u0000-\\uD7FF\\uE000-${String.fromCodePoint(0x10ffff)}]`;
const NO_UNPAIRED_SURROGATE = `(?![\\s\\S]*(?!${SCALAR_VALUE})[\\s\\S])`;
const KEY_CHAR = '[^.\\u0000]';
const KEY_CHAR_NOT_ = '[^_.\\u0000]';
const KEY_START = '[^_$.\\u0000]';
const METADATA_KEY_SCHEMA = Object.freeze({
  minLength: 1,
  maxLength: MAX_METADATA_KEY_LENGTH,
  pattern: `^${NO_UNPAIRED_SURROGATE}(?:${KEY_START}${KEY_CHAR}*|_(?:${KEY_CHAR_NOT_}${KEY_CHAR}*)?|__(?:_|${KEY_CHAR}*${KEY_CHAR_NOT_}_?)?)$`,
});

const METADATA_SCALAR = Object.freeze({ type: ['string', 'number', 'boolean', 'null'] });

/** A metadata value with at most `levels` more levels of arrays and objects below it (JSON Schema has no depth keyword). */
function metadataValueDoc(levels: number): Record<string, unknown> {
  if (levels <= 0) return METADATA_SCALAR;
  // No array directly inside an array (item-schema.ts).
  const element = levels > 1 ? { anyOf: [METADATA_SCALAR, metadataObjectDoc(levels - 1)] } : METADATA_SCALAR;
  return { anyOf: [METADATA_SCALAR, { type: 'array', items: element }, metadataObjectDoc(levels)] };
}

function metadataObjectDoc(levels: number): Record<string, unknown> {
  return { type: 'object', propertyNames: METADATA_KEY_SCHEMA, additionalProperties: metadataValueDoc(levels - 1) };
}

/**
 * The OpenAPI document's copy of a route schema, with every metadata schema spelled out: key
 * rules and the depth limit, so that clients generating requests from the document (schemathesis)
 * send what is accepted. Validation keeps the compact schema and the keyword, whose problems name
 * the key; the byte limits are the keyword's alone (JSON Schema cannot say them).
 */
export function documentMetadata<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => documentMetadata(s)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const node = schema as Record<string, unknown>;
  if (node[METADATA_KEYWORD] === true) {
    const { [METADATA_KEYWORD]: _keyword, patternProperties: _patterns, additionalProperties: _values, ...rest } = node;
    return { ...rest, propertyNames: METADATA_KEY_SCHEMA, additionalProperties: metadataValueDoc(MAX_METADATA_DEPTH - 1) } as T;
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, documentMetadata(v)])) as T;
}

/**
 * Metadata a client may send: what memory stores (item-schema.ts), with room for `reservedKeys`
 * the service adds itself (a team adds `teamId`).
 */
export const Metadata = (reservedKeys = 0) =>
  Type.Record(Type.String(), Json, {
    maxProperties: MAX_METADATA_KEYS - reservedKeys,
    [METADATA_KEYWORD]: true,
    description:
      `Keys of 1-${MAX_METADATA_KEY_LENGTH} characters, not of the form __name__, not starting with $, without "."; ` +
      `at most ${MAX_METADATA_DEPTH} levels of objects and arrays (metadata included), no array directly inside an array; ` +
      `each top-level value at most ${MAX_METADATA_VALUE_BYTES} bytes as JSON, all of it at most ${MAX_METADATA_BYTES}`,
  });
