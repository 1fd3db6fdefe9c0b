/**
 * `prefix-name` when a prefix is set, else `name`: fabric's convention (a prefix is null, never
 * empty, and no random suffixes, so names are stable across plans).
 */
export function prefixed(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}-${name}` : name;
}

/** GCE-style resource name: lowercase letter first, then lowercase letters, digits, hyphens. */
export function isResourceName(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value);
}
