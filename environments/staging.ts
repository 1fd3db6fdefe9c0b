import { defineEnvironment } from './schema';

/** Staging: production's security settings at smaller sizes. */
export default defineEnvironment({
  name: 'staging',
  kind: 'staging',
  projectId: 'orchestra-staging',
  region: 'us-central1',
  deletionProtection: false,
  network: { subnetCidr: '10.30.0.0/24', privateServicesCidr: '10.40.0.0/16' },
  redis: { tier: 'BASIC', memorySizeGb: 1 },
  midTerm: { kind: 'firestore' },
  vectorSearch: { access: 'public', minReplicas: 1, maxReplicas: 2 },
  runtime: { minInstances: 0, maxInstances: 5, ingress: 'internal-and-load-balancer', memory: '1Gi' },
  // The GitHub repository that deploys this environment (README: Delivery); replace the placeholder with yours.
  delivery: { githubRepository: 'your-org/orchestra' },
});
