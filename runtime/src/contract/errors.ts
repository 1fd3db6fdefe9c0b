import type { z } from 'zod';

/** One thing wrong with an input: where (a dotted path, a variable name) and what was expected. */
export interface Problem {
  /** `runtime.minInstances`, `deployments[1].provider`, `ORCHESTRA_REDIS_PORT`; `(root)` for the input itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * The one validation error of the kit and the runtime: a stable `code` that callers (the HTTP
 * layer, the synth entry) branch on, and every problem found, not only the first, so a user fixes
 * them all in one pass. Subclasses name the subject; nothing is built from input that fails.
 */
export class ValidationError extends Error {
  constructor(
    /** Stable, SCREAMING_SNAKE: what kind of input was refused (`RUNTIME_INVALID_CONFIG`, …). */
    readonly code: string,
    /** What was validated, first in the message: `invalid runtime configuration`, `orchestra-prod: invalid environment config`. */
    readonly subject: string,
    readonly problems: readonly Problem[],
    options?: { readonly cause?: unknown },
  ) {
    super(formatProblems(subject, problems), options);
    this.name = new.target.name;
  }

  /** True for any `ValidationError`, also one thrown by another copy of this module (a second install). */
  static isValidationError(error: unknown): error is ValidationError {
    if (error instanceof ValidationError) return true;
    const e = error as Partial<ValidationError> | null;
    return typeof e === 'object' && e !== null && typeof e.code === 'string' && Array.isArray(e.problems) && typeof e.subject === 'string';
  }
}

/** `subject:` then one indented line per problem. */
export function formatProblems(subject: string, problems: readonly Problem[]): string {
  return `${subject}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`;
}

/** `["deployments", 1, "provider"]` → `deployments[1].provider`; `[]` → `(root)`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  const text = segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i === 0 ? '' : '.'}${String(s)}`)).join('');
  return text === '' ? '(root)' : text;
}

/** Joins a prefix (a variable name, an entry) and a path inside it. */
export function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '(root)') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/**
 * Every issue of a failed zod parse as problems: the one formatter of zod issues in the project.
 * An unknown key is a problem at its own path; zod's generic prefixes ("Invalid input: ") are
 * dropped, since the path already says where.
 */
export function problemsFromZod(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: joinPath(prefix, formatPath([...issue.path, key])), message: 'unknown field' }));
    }
    const path = joinPath(prefix, formatPath(issue.path));
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return [{ path, message: `required (expected ${issue.expected})` }];
    return [{ path, message: issue.message.replace(/^Invalid (input|option): /, '') }];
  });
}
