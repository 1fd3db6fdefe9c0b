import { inspect } from 'node:util';

/** A credential that does not print: `String()`, JSON and `util.inspect` all show `[redacted]`. */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/**
 * A setting whose value the platform supplies at start from a secret store (Cloud Run reads it
 * from Secret Manager), so the value never appears in a configuration. `Ref` is the platform's
 * handle: the kit's `Secret` construct, a secret name… The contract passes it through untouched.
 */
export interface SecretRef<Ref> {
  readonly secretRef: Ref;
}

export function fromSecret<Ref>(ref: Ref): SecretRef<Ref> {
  return { secretRef: ref };
}

export function isSecretRef(value: unknown): value is SecretRef<unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'secretRef' in value;
}

/** A credential setting: its value, or (when `Ref` is not `never`) a reference to a secret that holds it. */
export type Sensitive<T, Ref> = [Ref] extends [never] ? T : T | SecretRef<Ref>;

/**
 * What a secret holds until an operator adds its real value: the first version a stack writes so
 * that readers pinned to `latest` (Cloud Run resolves secret variables when an instance starts)
 * can be created on a fresh project. A marker, not a credential; the runtime refuses to start on it.
 */
export const SECRET_PLACEHOLDER = 'orchestra-placeholder:add-a-secret-version';
