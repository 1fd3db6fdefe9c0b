import { ConfigError, parseRuntimeConfig, RuntimeSettings as S } from '../../runtime/src/contract';

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

/** A deployed Vector Search index's settings (public endpoint), as tests of the contract give them. */
export const VECTOR_SEARCH_SETTINGS = {
  [S.projectId]: 'acme-prod',
  [S.region]: 'europe-west4',
  [S.vectorIndex]: 'projects/123/locations/europe-west4/indexes/456',
  [S.vectorIndexEndpoint]: 'projects/123/locations/europe-west4/indexEndpoints/789',
  [S.vectorDeployedIndexId]: 'orchestra_memory',
  [S.vectorQueryHost]: '1234.europe-west4-567.vdb.vertexai.goog',
};
