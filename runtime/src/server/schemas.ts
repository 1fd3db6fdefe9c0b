import { Type } from '@sinclair/typebox';

// Ids a client names are stored tenant-scoped (`<tenant>:<id>`), so they are shorter than the
// memory's own limit.
export const ClientId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$', description: 'letters, digits, . _ : @ -; at most 128' });

const Json = Type.Unknown();

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

export const Metadata = Type.Record(Type.String({ maxLength: 64 }), Json, { maxProperties: 32 });
