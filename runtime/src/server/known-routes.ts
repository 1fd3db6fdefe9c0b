import type { RouteOptions } from 'fastify';

interface Known {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The routes' paths and their methods. fastify's router answers 404 for a known path asked with
 * another method, where RFC 9110 wants 405 with the `Allow` methods: the not-found handler asks
 * here. Paths use `:name` parameters only (no wildcards, no regexes).
 */
export class KnownRoutes {
  private readonly byUrl = new Map<string, Known>();

  /** For fastify's `onRoute` hook. */
  add(route: Pick<RouteOptions, 'method' | 'url'>): void {
    let known = this.byUrl.get(route.url);
    if (!known) {
      const source = route.url
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : escape(segment)))
        .join('/');
      known = { pattern: new RegExp(`^${source}$`), methods: new Set() };
      this.byUrl.set(route.url, known);
    }
    for (const method of [route.method].flat()) known.methods.add(method);
  }

  /** The methods `path` answers, sorted; empty for a path no route has. */
  allowed(path: string): string[] {
    const allow = new Set<string>();
    for (const { pattern, methods } of this.byUrl.values()) if (pattern.test(path)) for (const m of methods) allow.add(m);
    return [...allow].sort();
  }
}
