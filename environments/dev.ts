import { defineEnvironment } from './schema';

/** Development: smallest sizes, scale to zero, public endpoints, easy teardown. */
export default defineEnvironment({
  name: 'dev',
  kind: 'development',
  projectId: 'orchestra-dev',
  region: 'us-central1',
  deletionProtection: false,
  network: { subnetCidr: '10.10.0.0/24', privateServicesCidr: '10.20.0.0/16' },
  // Development trades AUTH and TLS for simpler debugging; both are required elsewhere.
  redis: { tier: 'BASIC', memorySizeGb: 1, authEnabled: false, transitEncryption: false },
  midTerm: { kind: 'firestore', pointInTimeRecovery: false },
  vectorSearch: { access: 'public', minReplicas: 1, maxReplicas: 1 },
  runtime: { minInstances: 0, maxInstances: 3, ingress: 'all', memory: '512Mi' },
  // The GitHub repository that deploys this environment (README: Delivery); replace the placeholder with yours.
  delivery: { githubRepository: 'your-org/orchestra' },
});
