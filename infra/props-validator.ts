import { Token } from 'cdktf';

/** A validation failure in construct props, reported with the construct path. */
export class InvalidPropsError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`${path}: invalid props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidPropsError';
  }
}

/**
 * Collects every problem in a construct's props before throwing once, so a user fixes them all
 * in one pass. Values that are unresolved tokens are skipped: they are known only at deploy.
 */
export class PropsValidator {
  private readonly problems: string[] = [];

  constructor(private readonly path: string) {}

  check(value: unknown, ok: boolean, message: string): this {
    if (!(typeof value === 'string' && Token.isUnresolved(value)) && !ok) this.problems.push(message);
    return this;
  }

  throwIfInvalid(): void {
    if (this.problems.length > 0) throw new InvalidPropsError(this.path, this.problems);
  }
}
