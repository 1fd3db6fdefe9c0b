// Google client helpers for every layer that calls Google (memory: Vector Search and embeddings;
// LLM: Gemini): credentials checked before any client exists, endpoints, and client start-up that
// cannot reject unhandled. Neither layer imports the other; both import this.
import type { ClientOptions, GoogleAuth } from 'google-gax';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Google credentials could not be obtained. Raised before any Google client exists: a client
 * created without credentials (and without `sslCreds`) rejects a promise nobody awaits, which
 * crashes the process.
 */
export class VertexCredentialsError extends Error {
  override readonly name = 'VertexCredentialsError';

  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      `No usable Google Cloud credentials for Vertex AI (${reason}). Set GOOGLE_APPLICATION_CREDENTIALS ` +
        'to a service account key file, run on Google Cloud with a service account attached, or run ' +
        '`gcloud auth application-default login` (Application Default Credentials).',
      options,
    );
  }
}

/**
 * Application Default Credentials with the cloud-platform scope, proven by minting an access
 * token within `timeoutMs` — a key of a deleted service account fails here, not on the first query.
 */
export async function verifiedGoogleAuth(timeoutMs: number): Promise<GoogleAuth> {
  // google-gax loads on first use (start-up time); GoogleAuth is its re-export of google-auth-library.
  const { GoogleAuth } = await import('google-gax');
  const auth = new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VertexCredentialsError(`no access token within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // race() subscribes to both promises, so a token request that fails after the timeout is handled.
    const token = await Promise.race([auth.getAccessToken(), timeout]);
    if (!token) throw new VertexCredentialsError('the credentials produced no access token');
    return auth;
  } catch (err) {
    if (err instanceof VertexCredentialsError) throw err;
    throw new VertexCredentialsError(err instanceof Error ? err.message : String(err), { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** `host` or `host:port` (`[v6]:port` too) → the Google client's `apiEndpoint` and `port`. */
export function endpointOf(host: string): { apiEndpoint: string; port?: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  return match ? { apiEndpoint: match[1], port: Number(match[2]) } : { apiEndpoint: host };
}

/** Options for one Google client: the endpoint, the verified credentials, then the caller's extras. */
export function googleClientOptions(host: string, auth: GoogleAuth | undefined, extra: ClientOptions | undefined): ClientOptions {
  return { ...endpointOf(host), ...(auth ? { auth } : {}), ...extra };
}

export interface GoogleClient {
  initialize(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Awaits the clients' stubs here, so a failure is this call's rejection (and closes them all):
 * once a stub promise has settled fine, the client's own fire-and-forget
 * `initialize().catch(throw)` on every call can no longer reject unhandled.
 */
export async function initializeAll(clients: readonly GoogleClient[]): Promise<void> {
  try {
    await Promise.all(clients.map((c) => c.initialize()));
  } catch (err) {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    throw err;
  }
}
