import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { LayeredMemoryManager } from '../../memory/manager';
import { ClientId, Metadata, NOT_BLANK, commonErrors } from '../schemas';

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
  },
  { additionalProperties: false },
);
const ConversationParams = Type.Object({ conversationId: ClientId });
const Forgotten = Type.Object({
  conversationId: Type.String(),
  removed: Type.Object({ 'short-term': Type.Integer(), 'mid-term': Type.Integer(), 'long-term': Type.Integer() }),
});

/** Memory for applications: store, search and forget, always within the caller's tenant. */
const memoryRoutes: FastifyPluginAsyncTypebox<{ memory: LayeredMemoryManager }> = async (app, options) => {
  const { memory } = options;

  app.post(
    '/memory',
    { schema: { summary: 'Store an item; importance decides which layers keep it', body: StoreBody, response: { 201: Stored, ...commonErrors } } },
    async (request, reply) => {
      const { item, importance } = request.body;
      const scope = request.scope;
      const result = await memory.store(
        {
          ...item,
          id: scope.id(item.id),
          tenantId: request.tenant,
          ...(item.conversationId === undefined ? {} : { conversationId: scope.id(item.conversationId) }),
        },
        importance ?? 'low',
      );
      return reply.status(201).send({ ...result, id: item.id });
    },
  );

  app.post(
    '/memory/search',
    { schema: { summary: 'Context for a query: recent turns, older ones, semantic matches', body: SearchBody, response: { 200: Type.Ref('Context'), ...commonErrors } } },
    async (request) => {
      const { query, conversationId, withinConversation, limit } = request.body;
      const scope = request.scope;
      const context = await memory.retrieveContext(query, scope.id(conversationId), {
        tenantId: request.tenant,
        semanticWithinConversation: withinConversation,
        semanticLimit: limit,
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
    { schema: { summary: 'Forget a conversation in every memory layer', params: ConversationParams, response: { 200: Forgotten, 414: Type.Ref('ErrorResponse'), ...commonErrors } } },
    async (request) => {
      const { conversationId } = request.params;
      const { removed } = await memory.forget({ conversationId: request.scope.id(conversationId), tenantId: request.tenant });
      return { conversationId, removed };
    },
  );
};

export default memoryRoutes;
