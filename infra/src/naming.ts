/**
 * `prefix-name` when a prefix is set, else `name`: fabric's convention (a prefix is null, never
 * empty, and no random suffixes, so names are stable across plans).
 */
export function prefixed(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}-${name}` : name;
}

/** A fully qualified lowercase domain name (what a Google-managed certificate takes). */
export function isDomainName(value: string): boolean {
  return /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value);
}

/** GCE-style resource name: lowercase letter first, then lowercase letters, digits, hyphens. */
export function isResourceName(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value);
}
