/**
 * How a tenant and an id it names become one stored id: `<length of tenant>.<tenant>:<id>`, e.g.
 * tenant `acme`, conversation `c1` → `4.acme:c1`. Every backend keys, filters and restricts on
 * the stored id (Redis keys, MongoDB `_id` and `conversationId`, Vector Search datapoint ids and
 * `conversation` restricts), so tenants are kept apart exactly when this is injective.
 *
 * Plain `<tenant>:<id>` was not: tenants and ids may both contain `:`, so tenant `a` with id
 * `b:c` and tenant `a:b` with id `c` were the same `a:b:c`. The length says where the tenant
 * ends whatever it contains, so `decodeScopedId` recovers both parts from any stored id and no
 * two pairs share one. The result stays within the memory's id alphabet (it starts with a digit
 * and adds only digits, `.` and `:`).
 *
 * Data stored under the former `<tenant>:<id>` ids is not found under these (0.x: no migration):
 * it expires (short-term, MEDIUM mid-term) or stays until removed by hand (HIGH items).
 */
import { TENANT } from '../contract';

export class TenantScopeError extends Error {
  override readonly name = 'TenantScopeError';
}

/** The stored id of `id` within `tenant`. Throws `TenantScopeError` for a tenant the contract's TENANT rule refuses. */
export function scopedId(tenant: string, id: string): string {
  if (!TENANT.pattern.test(tenant)) throw new TenantScopeError(`not a tenant: ${JSON.stringify(tenant)}`);
  return `${tenant.length}.${tenant}:${id}`;
}

/** The tenant and the id a stored id was made of; undefined for one `scopedId` cannot have made. */
export function decodeScopedId(stored: string): { tenant: string; id: string } | undefined {
  const dot = stored.indexOf('.');
  // At most two digits (tenants are at most 64 long), no leading zero: one spelling per length.
  if (dot < 1 || dot > 2 || !/^[1-9][0-9]?$/.test(stored.slice(0, dot))) return undefined;
  const length = Number(stored.slice(0, dot));
  const tenant = stored.slice(dot + 1, dot + 1 + length);
  if (tenant.length !== length || stored[dot + 1 + length] !== ':' || !TENANT.pattern.test(tenant)) return undefined;
  return { tenant, id: stored.slice(dot + 2 + length) };
}

/** Whether a read filtered by `tenantId` (a `TenantFilter`) may return `item`. */
export function ofTenant(item: { readonly tenantId?: string }, tenantId: string | undefined): boolean {
  return tenantId === undefined || item.tenantId === tenantId;
}
