import { ConfigError, parseRuntimeConfig } from '../../runtime/src/contract';

/** The message of the `ConfigError` that `env` is refused with; fails the test when it is accepted. */
export function configProblems(env: Record<string, string>): string {
  try {
    parseRuntimeConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}
