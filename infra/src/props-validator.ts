import { Token } from 'cdktf';
import { type Problem, ValidationError } from '@orchestra/runtime/contract';

/** A construct's props that cannot make it: every problem, each naming its prop. */
export class InvalidPropsError extends ValidationError {
  static readonly CODE = 'INFRA_INVALID_PROPS';
  constructor(
    /** The construct's path in the tree (`orchestra-prod/redis`). */
    readonly constructPath: string,
    problems: readonly Problem[],
  ) {
    super(InvalidPropsError.CODE, `${constructPath}: invalid props`, problems);
  }
}

/**
 * Collects every problem in a construct's props before throwing once, so a user fixes them all
 * in one pass. Values that are unresolved tokens are skipped: they are known only at deploy.
 */
export class PropsValidator {
  private readonly problems: Problem[] = [];

  constructor(private readonly constructPath: string) {}

  /** Records `message` against prop `field` unless `ok` (or `value` is a token). */
  check(field: string, value: unknown, ok: boolean, message: string): this {
    if (!(typeof value === 'string' && Token.isUnresolved(value)) && !ok) this.problems.push({ path: field, message });
    return this;
  }

  throwIfInvalid(): void {
    if (this.problems.length > 0) throw new InvalidPropsError(this.constructPath, this.problems);
  }
}
