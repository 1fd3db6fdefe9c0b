import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthTeamStack } from '../../docs/examples/team-stack';
import { onlyResource, resourcesOf } from '../helpers/synth';

const ROOT = path.resolve(__dirname, '../..');

describe('README example', () => {
  it('is the checked-in example, verbatim (so the README shows code that compiles)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = fs.readFileSync(path.join(ROOT, 'docs/examples/team-stack.ts'), 'utf8');
    const block = readme.match(/```ts example=docs\/examples\/team-stack\.ts\n([\s\S]*?)```/);
    expect(block?.[1]).toBe(example);
  });

  it('synthesizes a stack with the secure defaults', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-example-'));
    try {
      synthTeamStack(outdir);
      const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks/acme-search/cdk.tf.json'), 'utf8'));
      const service = onlyResource(json, 'google_cloud_run_v2_service');
      expect(service.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
      expect(service.template.containers[0].env.find((e: { name: string }) => e.name === 'PARTNER_API_KEY').value_source).toBeDefined();
      expect(resourcesOf(json, 'google_secret_manager_secret_iam_member')).toHaveLength(1);
      expect(onlyResource(json, 'google_cloud_run_v2_service_iam_member').member).toBe('group:search-clients@acme.example');
      // Vector Search's grant: custom roles holding only what its calls check, no predefined role.
      expect(resourcesOf(json, 'google_project_iam_member').map((m) => m.role)).toEqual(
        Object.keys(json.resource.google_project_iam_custom_role).map((id) => `\${google_project_iam_custom_role.${id}.name}`),
      );
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
