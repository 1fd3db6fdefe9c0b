import { defineEnvironment } from './schema';

/** Staging: production's security settings at smaller sizes, reached with Google identity tokens instead of a load balancer. */
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
  // Reached at its run.app URL with a Google identity token (Cloud Run's IAM check stays on):
  // `gcloud run services proxy` for people, an ID token for CI; add both to runtime.invokers.
  runtime: { minInstances: 0, maxInstances: 5, ingress: 'all', memory: '1Gi' },
  // The GitHub repository that deploys this environment (README: Delivery); replace the placeholder with yours.
  delivery: { githubRepository: 'your-org/orchestra' },
});
