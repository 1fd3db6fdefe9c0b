import { defineEnvironment } from './schema';

/** Production: HA everywhere, deletion protection, warm instances, no public ingress. */
export default defineEnvironment({
  name: 'prod',
  kind: 'production',
  projectId: 'orchestra-prod',
  region: 'us-central1',
  deletionProtection: true,
  network: { subnetCidr: '10.50.0.0/22', privateServicesCidr: '10.60.0.0/16' },
  redis: { tier: 'STANDARD_HA', memorySizeGb: 5 },
  midTerm: { kind: 'firestore' },
  vectorSearch: { access: 'private-service-connect', shardSize: 'SHARD_SIZE_MEDIUM', minReplicas: 2, maxReplicas: 4 },
  runtime: {
    minInstances: 1,
    maxInstances: 20,
    cpu: '2',
    memory: '2Gi',
    ingress: 'internal-and-load-balancer',
    domains: ['orchestra.example.com'],
  },
  // The GitHub repository that deploys this environment (README: Delivery); replace the placeholder with yours.
  delivery: { githubRepository: 'your-org/orchestra' },
});
