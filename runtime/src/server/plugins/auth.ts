import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKey } from '../../contract';
import { Unauthorized } from '../errors';
import { TenantScope } from '../tenant-scope';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's tenant (`local` when auth is off in local development). */
    tenant: string;
    scope: TenantScope;
  }
}

export interface AuthOptions {
  /** Accepted keys; empty turns auth off (allowed only in local development, by the config). */
  readonly apiKeys: readonly ApiKey[];
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Who an `Authorization` header belongs to. */
export interface Keyring {
  /** No keys: auth is off (local development). */
  readonly open: boolean;
  /** The tenant of a valid `Bearer <key>`, else undefined. */
  tenantOf(authorization: string | undefined): string | undefined;
}

/**
 * Bearer API keys. Keys are compared as SHA-256 digests with `timingSafeEqual`, against every
 * configured key without stopping at a match, so timing reveals neither a key nor its length.
 */
export function keyring(apiKeys: readonly ApiKey[]): Keyring {
  const keys = apiKeys.map((k) => ({ tenant: k.tenant, digest: digest(k.key) }));
  return {
    open: keys.length === 0,
    tenantOf: (authorization) => {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) return undefined;
      const presented = digest(match[1]);
      let tenant: string | undefined;
      for (const key of keys) if (timingSafeEqual(key.digest, presented) && tenant === undefined) tenant = key.tenant;
      return tenant;
    },
  };
}

async function auth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const ring = keyring(options.apiKeys);
  app.decorateRequest('tenant', '');
  app.decorateRequest('scope', null as unknown as TenantScope);

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (ring.open) {
      request.tenant = 'local';
    } else {
      const tenant = ring.tenantOf(request.headers.authorization);
      if (tenant === undefined) throw new Unauthorized();
      request.tenant = tenant;
    }
    request.scope = new TenantScope(request.tenant);
  });
}

export default fp(auth, { name: 'orchestra-auth', fastify: '5.x' });
