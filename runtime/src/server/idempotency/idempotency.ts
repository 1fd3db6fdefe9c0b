import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { configure } from 'safe-stable-stringify';
import { RECONNECT_DEFAULTS } from '../../memory/reconnect';
import { IdempotencyKeyInUse, IdempotencyKeyReused, IdempotencyUnavailable, InvalidIdempotencyKey } from '../errors';
import { EVENT_STREAM_HEADERS, formatJsonEvent, wantsEventStream } from '../event-stream';
import type { IdempotencyRecords } from './records';

// `Idempotency-Key` as the IETF draft "The Idempotency-Key HTTP Header Field"
// (draft-ietf-httpapi-idempotency-key-header) describes it, with Stripe's conventions where the
// draft leaves a choice:
// - the key is an RFC 8941 sf-string (`"8e03978e-…"`); the bare form Stripe's clients send
//   (`8e03978e-…`) is the same key. At most 255 characters, as Stripe allows.
// - the resource publishes its expiry policy (ORCHESTRA_IDEMPOTENCY_TTL_SECONDS) and fingerprints
//   the request (method, route, path parameters and body, as canonical JSON, SHA-256);
// - a retry after the first request completed gets its answer again; a retry while it runs gets
//   409; the key with another request gets 422 (the draft's "Error Handling").
// - only successful (2xx) answers are kept, unlike Stripe, which keeps 5xx too: the failures here
//   are outages and deadlines a retry may get past (memory writes are idempotent by id).
// - a streamed answer (server-sent events) is kept as the JSON answer it amounts to, once its
//   route has it (`complete`); one that ends in an `error` event or a disconnect keeps nothing.
//   A retry asking for events gets the kept answer as a single `done` event; one asking for JSON,
//   the JSON. Which of the two a request asks for is not part of its fingerprint: same request.

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Stripe's response header on an answer that is a replay of the first one. */
export const REPLAYED_HEADER = 'idempotent-replayed';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

// Visible ASCII but `"` and `\`, bare; or an sf-string (RFC 8941 3.3.3): printable ASCII in
// quotes, `"` and `\` escaped by `\`.
const BARE = `[!#-\\[\\]-~]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}`;
const QUOTED = `"(?:[ !#-\\[\\]-~]|\\\\["\\\\]){1,${MAX_IDEMPOTENCY_KEY_LENGTH}}"`;
const KEY = new RegExp(`^(?:${BARE}|${QUOTED})$`, 'u');
const EXPECTED = `1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters other than " and \\, or a quoted string of 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (RFC 8941 sf-string), e.g. a UUID`;

/** The header in a route's schema: documented in the OpenAPI document (validation is `parseIdempotencyKey`'s, which runs first and names what is expected). */
export const IdempotencyHeaders = Type.Object({
  [IDEMPOTENCY_KEY_HEADER]: Type.Optional(
    Type.String({
      pattern: KEY.source,
      description:
        `Makes a retry safe (IETF draft-ietf-httpapi-idempotency-key-header): ${EXPECTED}. A retry with the same key and the same request ` +
        `gets the first successful answer again, with \`${REPLAYED_HEADER}: true\`, without running it again; while the first still runs, 409 ` +
        'with Retry-After; the key with another method, path or body, 422. Keys are per API key tenant; an answer is kept for ' +
        'ORCHESTRA_IDEMPOTENCY_TTL_SECONDS (default a day). A failed request (an error status) keeps nothing: its retry runs again. ' +
        'When the store of keys is unreachable, a request carrying one is refused with 503 and Retry-After rather than risk running twice.',
    }),
  ),
});

/** The error answers the header adds to a route. */
export const idempotencyErrors = { 409: Type.Ref('ErrorResponse'), 422: Type.Ref('ErrorResponse') };

/** The key a request carries (unquoted), undefined without one; `InvalidIdempotencyKey` for a malformed or repeated one. */
export function parseIdempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  // The draft: a client MUST NOT send more than one (node would join them with ", ").
  const fields = request.raw.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === IDEMPOTENCY_KEY_HEADER).length;
  if (fields > 1 || Array.isArray(value)) throw new InvalidIdempotencyKey(`sent ${fields} times; send it once`);
  if (!KEY.test(value)) throw new InvalidIdempotencyKey(`expected ${EXPECTED}`);
  return value.startsWith('"') ? value.slice(1, -1).replace(/\\(["\\])/g, '$1') : value;
}

const canonicalJson = configure({ strict: true });

/** What makes two requests with one key the same request: method, route, path parameters, body (key order aside). */
export function requestFingerprint(request: FastifyRequest): string {
  const canonical = canonicalJson([request.method, request.routeOptions.url, request.params ?? null, request.body ?? null]);
  return createHash('sha256').update(canonical).digest('base64url');
}

export interface IdempotencyOptions {
  readonly records: IdempotencyRecords;
  /** How long an answer is replayed (ORCHESTRA_IDEMPOTENCY_TTL_SECONDS). */
  readonly ttlSeconds: number;
  /**
   * How long a claim holds while its request runs: the request deadline, after which the request
   * has been answered (and the claim completed or released) unless its instance died; a dead
   * instance's claim frees after it.
   */
  readonly claimMs: number;
}

/** A retry of a running request is answered 409 with this Retry-After: the first may end at any moment. */
const IN_USE_RETRY_AFTER_SECONDS = 1;
/** An unreachable store: the Redis client reconnects at least this often, so a retry then finds it back. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = Math.ceil(RECONNECT_DEFAULTS.maxDelayMs / 1000);

interface Claim {
  readonly key: string;
  readonly token: string;
  readonly fingerprint: string;
  settled: boolean;
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The hooks a route takes to honour `Idempotency-Key`. */
export interface IdempotentRouteHooks {
  readonly preValidation: Hook;
  readonly preHandler: Hook;
  readonly onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;
  readonly onResponse: Hook;
}

/** What a route needs to honour `Idempotency-Key`: `hooks` spread into its options, beside `IdempotencyHeaders` in its schema. */
export interface IdempotentRoute {
  readonly hooks: IdempotentRouteHooks;
  /**
   * An id for what the request writes, the same for every retry of it (same tenant, operation, key
   * and request), undefined without a key: a retry that runs again because the first attempt
   * failed part-way (a 504 after the message was stored) rewrites the same items instead of
   * adding copies. Not a route hook: the handler asks for it.
   */
  retryStableId(request: FastifyRequest): string | undefined;
  /**
   * Keeps `answer` for the key's retries: for a route that streams, whose answer is known only
   * after its status went out (a streamed 2xx is left to the route; the key is released if the
   * response ends before this is called). Does nothing without a key.
   */
  complete(request: FastifyRequest, answer: { readonly status: number; readonly contentType: string; readonly body: string }): Promise<void>;
}

/**
 * Per request: the header is checked before the body (preValidation); once the request is valid
 * and authenticated (preHandler) its key is claimed, or the answer kept for it replayed; when the
 * answer is sent (onSend) a 2xx is kept for the key's retries, anything else releases the claim.
 *
 * Records are keyed by tenant (`scopedId`, which no other tenant's ids can produce), operation
 * (method and route) and key, so tenants never see each other's records and one key names one
 * operation; the request's fingerprint tells a retry from another request under the same key.
 */
export function idempotentRoute(options: IdempotencyOptions): IdempotentRoute {
  const { records, claimMs } = options;
  const ttlMs = options.ttlSeconds * 1000;
  const keys = new WeakMap<FastifyRequest, string>();
  const claims = new WeakMap<FastifyRequest, Claim>();
  // The record's key (tenant-scoped) with the fingerprint: what makes two requests one.
  const stableIds = new WeakMap<FastifyRequest, string>();

  const settle = async (request: FastifyRequest, claim: Claim, answer?: { status: number; contentType?: string; body: string }) => {
    claim.settled = true;
    try {
      if (answer === undefined) await records.release(claim.key, claim.token);
      else if (!(await records.complete(claim.key, claim.token, { state: 'done', fingerprint: claim.fingerprint, ...answer }, ttlMs))) {
        request.log.warn('the Idempotency-Key claim expired before the answer: a retry will run again');
      }
    } catch (error) {
      // The answer stands either way; the claim expires after claimMs.
      request.log.warn({ err: error }, 'could not record the Idempotency-Key outcome: a retry gets 409 until the claim expires');
    }
  };

  const hooks: IdempotentRouteHooks = {
    async preValidation(request) {
      const key = parseIdempotencyKey(request);
      if (key !== undefined) keys.set(request, key);
    },

    async preHandler(request, reply) {
      const key = keys.get(request);
      if (key === undefined) return;
      // The operation has one space (its path none), so the id is injective in (operation, key).
      const recordKey = request.scope.id(`${request.method} ${request.routeOptions.url} ${key}`);
      const fingerprint = requestFingerprint(request);
      const token = randomUUID();
      let found;
      try {
        found = await records.claim(recordKey, { state: 'running', fingerprint, token }, claimMs);
      } catch (error) {
        // Failing closed: running without the record could run the request twice, which is what
        // the client asked to rule out. It may retry, or send the request without the key.
        request.log.warn({ err: error }, 'Idempotency-Key records unreachable');
        throw new IdempotencyUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS);
      }
      if (found === undefined) {
        claims.set(request, { key: recordKey, token, fingerprint, settled: false });
        // Within memory's id alphabet, and tenant-scoped like every id a client names.
        stableIds.set(request, request.scope.id(`retry-${createHash('sha256').update(`${recordKey}\n${fingerprint}`).digest('base64url')}`));
        return;
      }
      if (found.fingerprint !== fingerprint) throw new IdempotencyKeyReused(key);
      if (found.state === 'running') throw new IdempotencyKeyInUse(key, IN_USE_RETRY_AFTER_SECONDS);
      reply.code(found.status).header(REPLAYED_HEADER, 'true');
      if (wantsEventStream(request) && found.contentType?.startsWith('application/json')) {
        return reply.headers(EVENT_STREAM_HEADERS).send(formatJsonEvent('done', found.body));
      }
      if (found.contentType !== undefined) reply.header('content-type', found.contentType);
      return reply.send(found.body);
    },

    async onSend(request, reply, payload) {
      const claim = claims.get(request);
      if (claim === undefined || claim.settled) return payload;
      const status = reply.statusCode;
      // A stream's answer is whole only at its end: its route completes the claim (`complete`).
      if (status >= 200 && status < 300 && isStream(payload)) return payload;
      if (status >= 200 && status < 300 && typeof payload === 'string') {
        const contentType = reply.getHeader('content-type');
        await settle(request, claim, { status, body: payload, ...(typeof contentType === 'string' ? { contentType } : {}) });
      } else await settle(request, claim);
      return payload;
    },

    // A response that ended without onSend (the connection reset mid-way) still frees its key.
    async onResponse(request) {
      const claim = claims.get(request);
      if (claim !== undefined && !claim.settled) await settle(request, claim);
    },
  };
  return {
    hooks,
    retryStableId: (request) => stableIds.get(request),
    async complete(request, answer) {
      const claim = claims.get(request);
      if (claim !== undefined && !claim.settled) await settle(request, claim, answer);
    },
  };
}

const isStream = (payload: unknown): boolean => typeof (payload as { pipe?: unknown } | null)?.pipe === 'function';
