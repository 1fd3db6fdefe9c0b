import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AdminApiKey, ApiKey } from '../../contract';
import { Forbidden, Unauthorized } from '../errors';
import { TenantScope } from '../tenant-scope';

/** Who made a request: a tenant's key, an operator's admin key, or anyone while auth is off. */
export type Caller =
  | { readonly kind: 'tenant'; readonly tenant: string; readonly fingerprint: string }
  | { readonly kind: 'admin'; readonly name: string; readonly fingerprint: string }
  | { readonly kind: 'local' };

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's tenant (`local` when auth is off in local development; empty on admin routes). */
    tenant: string;
    scope: TenantScope;
    caller: Caller;
  }
}

export interface AuthOptions {
  readonly keyring: Keyring;
  /** `tenant`: tenants' keys only (their data). `admin`: operators' keys only (any tenant's). */
  readonly accepts: 'tenant' | 'admin';
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Who an `Authorization` header belongs to. */
export interface Keyring {
  /** No tenant keys: auth is off (local development). */
  readonly open: boolean;
  /** The caller of a valid `Bearer <key>`, else undefined. */
  callerOf(authorization: string | undefined): Caller | undefined;
}

/**
 * Bearer API keys. Keys are compared as SHA-256 digests with `timingSafeEqual`, against every
 * configured key without stopping at a match, so timing reveals neither a key nor its length.
 */
export function keyring(apiKeys: readonly ApiKey[], adminApiKeys: readonly AdminApiKey[] = []): Keyring {
  const keys = [
    ...apiKeys.map((k) => ({ digest: digest(k.key), caller: (fingerprint: string): Caller => ({ kind: 'tenant', tenant: k.tenant, fingerprint }) })),
    ...adminApiKeys.map((k) => ({ digest: digest(k.key), caller: (fingerprint: string): Caller => ({ kind: 'admin', name: k.name, fingerprint }) })),
  ];
  return {
    open: apiKeys.length === 0,
    callerOf: (authorization) => {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) return undefined;
      const presented = digest(match[1]);
      let found: (typeof keys)[number] | undefined;
      for (const key of keys) if (timingSafeEqual(key.digest, presented) && found === undefined) found = key;
      // The digest's first 12 hex digits name the key in receipts and logs, and cannot be used as it.
      return found?.caller(presented.toString('hex').slice(0, 12));
    },
  };
}

/** How a receipt names who asked for an erasure: never the key itself. */
export function describeCaller(caller: Caller): string {
  switch (caller.kind) {
    case 'tenant':
      return `tenant:${caller.tenant}#${caller.fingerprint}`;
    case 'admin':
      return `admin:${caller.name}#${caller.fingerprint}`;
    case 'local':
      return 'local (auth off)';
  }
}

async function auth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const ring = options.keyring;
  // Both scopes (tenant and admin routes) register this plugin; the request carries one shape.
  if (!app.hasRequestDecorator('caller')) {
    app.decorateRequest('tenant', '');
    app.decorateRequest('scope', null as unknown as TenantScope);
    app.decorateRequest<Caller | null>('caller', null);
  }

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const caller: Caller | undefined = ring.open ? { kind: 'local' } : ring.callerOf(request.headers.authorization);
    if (caller === undefined) throw new Unauthorized();
    if (options.accepts === 'admin' && caller.kind === 'tenant') throw new Forbidden('this route needs an admin key (ORCHESTRA_ADMIN_API_KEYS); a tenant key acts on its own tenant only');
    if (options.accepts === 'tenant' && caller.kind === 'admin') throw new Forbidden('an admin key acts on /v1/admin routes only; use a tenant key here');
    request.caller = caller;
    if (caller.kind === 'admin') return; // no tenant of its own: admin routes name the tenant they act on
    request.tenant = caller.kind === 'tenant' ? caller.tenant : 'local';
    request.scope = new TenantScope(request.tenant);
  });
}

export default fp(auth, { name: 'orchestra-auth', fastify: '5.x' });
