import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TENANT } from '../../contract';
import type { LayeredMemoryManager } from '../../memory/manager';
import { describeCaller } from '../plugins/auth';
import { Erased, commonErrors } from '../schemas';

const TenantParams = Type.Object({ tenant: Type.String({ pattern: TENANT.pattern.source, description: TENANT.expected }) });
const Purged = Type.Composite([Type.Object({ tenant: Type.String() }), Erased]);

/** Operators' routes, for admin keys only (ORCHESTRA_ADMIN_API_KEYS): they act on any tenant. */
const adminRoutes: FastifyPluginAsyncTypebox<{ memory: LayeredMemoryManager }> = async (app, options) => {
  app.delete(
    '/tenants/:tenant/memory',
    {
      schema: {
        summary: "Purge a tenant: every item of it, in every memory layer; answers a receipt (admin key)",
        params: TenantParams,
        response: { 200: Purged, 403: Type.Ref('ErrorResponse'), 414: Type.Ref('ErrorResponse'), ...commonErrors },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      const { removed, receipt } = await options.memory.forget({ purgeTenant: tenant }, { requestedBy: describeCaller(request.caller) });
      return { tenant, removed, receipt };
    },
  );
};

export default adminRoutes;
