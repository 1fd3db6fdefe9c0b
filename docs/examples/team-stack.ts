import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { Network, RuntimeService, Secret, ServiceAccount, VectorSearch } from '@orchestra/infra';

/** A team's own stack: Orchestra's network, vector search and a service that uses them. */
export class TeamStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const project = 'acme-ml-prod';
    const region = 'europe-west4';
    new GoogleProvider(this, 'google', { project, region });

    const network = new Network(this, 'network', { region, prefix: 'acme' });
    const identity = new ServiceAccount(this, 'identity', { project, accountId: 'acme-search' });
    const vectors = new VectorSearch(this, 'vectors', { project, region, prefix: 'acme', minReplicas: 2 });
    vectors.grantUse(identity);

    new RuntimeService(this, 'search', {
      name: 'acme-search',
      region,
      image: 'europe-west4-docker.pkg.dev/acme-ml-prod/apps/search:1.4.2',
      serviceAccount: identity,
      vpc: { networkId: network.networkId, subnetId: network.subnetId },
      env: { INDEX_ENDPOINT: vectors.indexEndpointName, DEPLOYED_INDEX_ID: vectors.deployedIndexId },
      // A secret that exists already: the service reads it by reference and is granted access to it only.
      secretEnv: { PARTNER_API_KEY: Secret.fromSecretId(this, 'partner-key', 'acme-partner-api-key') },
      invokers: [{ member: 'group:search-clients@acme.example' }],
    });
  }
}

export function synthTeamStack(outdir: string): void {
  const app = new App({ outdir });
  new TeamStack(app, 'acme-search');
  app.synth();
}
