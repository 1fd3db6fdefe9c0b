import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { LayeredMemoryManager } from '../../memory/manager';
import { ErasureNotFound } from '../errors';
import { IdempotencyHeaders, type IdempotentRoute, idempotencyErrors } from '../idempotency/idempotency';
import { describeCaller } from '../plugins/auth';
import { ClientId, Erased, Metadata, NOT_BLANK, commonErrors } from '../schemas';

const StoreBody = Type.Object(
  {
    item: Type.Object(
      {
        id: ClientId,
        content: Type.String({ minLength: 1, maxLength: 100_000 }),
        conversationId: Type.Optional(ClientId),
        role: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        metadata: Type.Optional(Metadata()),
        createdAt: Type.Optional(Type.String({ format: 'date-time' })),
        occurredAt: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened, e.g. a turn of an imported history (default: when it is stored)' })),
      },
      { additionalProperties: false },
    ),
    importance: Type.Optional(Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], { default: 'low' })),
  },
  { additionalProperties: false },
);
const Stored = Type.Object({
  id: Type.String(),
  importance: Type.String(),
  written: Type.Array(Type.String()),
  degraded: Type.Array(Type.String()),
});
const SearchBody = Type.Object(
  {
    // Text to search for: not blank (memory refuses a query of only whitespace).
    query: Type.String({ minLength: 1, maxLength: 8_000, pattern: NOT_BLANK }),
    conversationId: ClientId,
    withinConversation: Type.Optional(Type.Boolean({ description: 'Restrict semantic matches to this conversation (default: all of the tenant)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    occurredAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Only items that occurred at or after this instant, in every part' })),
    occurredBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Only items that occurred before this instant, in every part; not after occurredAfter: an empty range, nothing found' })),
  },
  { additionalProperties: false },
);
const ConversationParams = Type.Object({ conversationId: ClientId });
const ItemParams = Type.Object({ itemId: ClientId });
const ReceiptParams = Type.Object({ receiptId: Type.String({ format: 'uuid' }) });
const ForgottenConversation = Type.Composite([Type.Object({ conversationId: Type.String() }), Erased]);
const ForgottenItem = Type.Composite([Type.Object({ itemId: Type.String() }), Erased]);
const erasureErrors = { 404: Type.Ref('ErrorResponse'), 414: Type.Ref('ErrorResponse'), ...commonErrors };

/** Memory for applications: store, search and forget, always within the caller's tenant. */
const memoryRoutes: FastifyPluginAsyncTypebox<{ memory: LayeredMemoryManager; idempotency: IdempotentRoute }> = async (app, options) => {
  const { memory } = options;

  app.post(
    '/memory',
    {
      schema: { summary: 'Store an item; importance decides which layers keep it', headers: IdempotencyHeaders, body: StoreBody, response: { 201: Stored, ...idempotencyErrors, ...commonErrors } },
      ...options.idempotency.hooks,
    },
    async (request, reply) => {
      const { item, importance } = request.body;
      const scope = request.scope;
      const asOf = new Date();
      const result = await memory.store(
        {
          ...item,
          id: scope.id(item.id),
          tenantId: request.tenant,
          ...(item.conversationId === undefined ? {} : { conversationId: scope.id(item.conversationId) }),
        },
        importance ?? 'low',
        { asOf },
      );
      return reply.status(201).send({ ...result, id: item.id });
    },
  );

  app.post(
    '/memory/search',
    { schema: { summary: 'Context for a query: recent turns, older ones, semantic matches', body: SearchBody, response: { 200: Type.Ref('Context'), ...commonErrors } } },
    async (request) => {
      const { query, conversationId, withinConversation, limit, occurredAfter, occurredBefore } = request.body;
      const scope = request.scope;
      const context = await memory.retrieveContext(query, scope.id(conversationId), {
        tenantId: request.tenant,
        semanticWithinConversation: withinConversation,
        semanticLimit: limit,
        occurredAfter,
        occurredBefore,
      });
      return {
        recent: scope.items(context.recent),
        related: scope.items(context.related),
        semantic: scope.matches(context.semantic),
        degraded: context.degraded,
      };
    },
  );

  app.delete(
    '/conversations/:conversationId',
    { schema: { summary: 'Forget a conversation in every memory layer; answers a receipt', params: ConversationParams, response: { 200: ForgottenConversation, ...erasureErrors } } },
    async (request) => {
      const { conversationId } = request.params;
      const { removed, receipt } = await memory.forget({ conversationId: request.scope.id(conversationId), tenantId: request.tenant }, { requestedBy: describeCaller(request.caller) });
      return { conversationId, removed, receipt: request.scope.receipt(receipt)! };
    },
  );

  app.delete(
    '/memory/items/:itemId',
    { schema: { summary: 'Forget one item in every memory layer; answers a receipt', params: ItemParams, response: { 200: ForgottenItem, ...erasureErrors } } },
    async (request) => {
      const { itemId } = request.params;
      const { removed, receipt } = await memory.forget({ itemId: request.scope.id(itemId), tenantId: request.tenant }, { requestedBy: describeCaller(request.caller) });
      return { itemId, removed, receipt: request.scope.receipt(receipt)! };
    },
  );

  app.get(
    '/memory/erasures/:receiptId',
    { schema: { summary: "One of the tenant's erasure receipts: what, when, who; no content", params: ReceiptParams, response: { 200: Type.Ref('Receipt'), ...erasureErrors } } },
    async (request) => {
      const record = await memory.erasure(request.params.receiptId, request.tenant);
      const receipt = record && request.scope.receipt(record);
      if (!receipt) throw new ErasureNotFound(request.params.receiptId);
      return receipt;
    },
  );
};

export default memoryRoutes;
