// Every key the stacks write must exist in hashicorp/google 6.50.0, the version they pin.
// `npm run validate` cannot show this: it validates against a newer provider build (the Go module
// proxy does not serve 6.50.0), which accepts arguments 6.50.0 rejects, e.g. a service-level
// `scaling.max_instance_count` on Cloud Run. Escape hatches (`addOverride`) bypass the typed
// bindings, so the synthesized JSON is checked, not the TypeScript.
import { TerraformResource } from 'cdktf';
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { BINDINGS_PROVIDER_VERSION, SchemaBlock, schemaOf, unknownKeys } from '../helpers/provider-schema';
import { synthesizeStacks } from '../helpers/environment-stacks';
import { synth } from '../helpers/synth';

const stacks = synthesizeStacks();

function resource(type: string): SchemaBlock {
  const schema = schemaOf('resource', type);
  if (!schema) throw new Error(`no ${type} in the bindings`);
  return schema;
}

const keysOf = (block: SchemaBlock) => ({ attributes: [...block.attributes].sort(), blocks: Object.keys(block.blocks).sort() });

describe('the schema read from the bindings', () => {
  it('is of the provider version every stack pins', () => {
    expect(BINDINGS_PROVIDER_VERSION).toBe('6.50.0');
    for (const json of Object.values(stacks)) {
      expect(json.terraform).toMatchObject({ required_providers: { google: { version: BINDINGS_PROVIDER_VERSION } } });
    }
  });

  // Each fact below was read by hand from the package's index.d.ts files.
  it('has what 6.50.0 has', () => {
    expect(resource('google_firestore_index').attributes.has('api_scope')).toBe(true);
    expect(Object.keys(resource('google_firestore_index').blocks.fields.blocks.vector_config.blocks)).toEqual(['flat']);
    expect(resource('google_cloud_run_v2_service').attributes.has('invoker_iam_disabled')).toBe(true);
    expect(keysOf(resource('google_cloud_run_v2_service').blocks.template.blocks.containers)).toEqual({
      // `depends_on` here is the container's own argument, not Terraform's meta-argument.
      attributes: ['args', 'base_image_uri', 'command', 'depends_on', 'image', 'name', 'working_dir'],
      blocks: ['env', 'liveness_probe', 'ports', 'resources', 'startup_probe', 'volume_mounts'],
    });
    expect(resource('google_cloud_run_v2_service').blocks.template.blocks.containers.blocks.env.blocks.value_source.blocks).toHaveProperty('secret_key_ref');
    // Removed in 7.0, so the newer provider `npm run validate` builds would reject it.
    expect(resource('google_compute_subnetwork').attributes.has('enable_flow_logs')).toBe(true);
    expect([...schemaOf('provider').attributes]).toEqual(expect.arrayContaining(['default_labels', 'add_terraform_attribution_label', 'project', 'region']));
    expect(schemaOf('data', 'google_project')?.attributes.has('project_id')).toBe(true);
  });

  it('lacks what only later providers have', () => {
    expect(keysOf(resource('google_cloud_run_v2_service').blocks.scaling)).toEqual({
      attributes: ['manual_instance_count', 'min_instance_count', 'scaling_mode'],
      blocks: [],
    });
    expect(resource('google_cloud_run_v2_service').blocks.template.blocks.containers.blocks).not.toHaveProperty('readiness_probe');
    expect(resource('google_redis_instance').attributes.has('deletion_protection')).toBe(false);
  });

  it('has no entry for a type the provider does not have', () => {
    expect(schemaOf('resource', 'google_not_a_thing')).toBeUndefined();
    expect(schemaOf('resource', 'aws_s3_bucket')).toBeUndefined();
    expect(schemaOf('data', 'google_not_a_thing')).toBeUndefined();
    // A data source is not a resource, even where both exist under one name.
    expect(schemaOf('resource', 'google_client_config')).toBeUndefined();
    expect(schemaOf('data', 'google_client_config')).toBeDefined();
  });
});

describe.each(Object.keys(stacks))('stack orchestra-%s', (env) => {
  it('writes only arguments and blocks that google 6.50.0 has, in resources, data sources and the provider', () => {
    expect(unknownKeys(stacks[env])).toEqual([]);
  });
});

describe('unknownKeys', () => {
  const { json } = synth((scope) => {
    const provider = new GoogleProvider(scope, 'google', { project: 'p', region: 'us-central1' });
    provider.addOverride('default_labels', { 'cost-center': 'x' });
    provider.addOverride('not_a_provider_setting', true);
    const service = new CloudRunV2Service(scope, 'runtime', {
      name: 'runtime',
      location: 'us-central1',
      labels: { 'any-key': 'a map is not walked' },
      template: { containers: [{ image: 'a' }, { image: 'b', env: [{ name: 'X', value: '1' }] }] },
      lifecycle: { preventDestroy: true, ignoreChanges: ['client'] },
    });
    service.addOverride('some_unknown_attribute', 'x');
    service.addOverride('scaling.max_instance_count', 3);
    service.addOverride('template.containers.1.readiness_probe', { http_get: { path: '/ready' } });
    service.addOverride('template.containers.1.env.0.foo', 'bar');
    service.addOverride('lifecycle.not_a_lifecycle_setting', true);
    new DataGoogleProject(scope, 'project', {}).addOverride('unknown_filter', 'x');
    new TerraformResource(scope, 'mystery', { terraformResourceType: 'google_not_a_thing' });
  });

  it('reports each unknown key with its path, escape hatches included, and leaves meta-arguments and map keys alone', () => {
    expect(unknownKeys(json)).toEqual(
      expect.arrayContaining([
        { path: 'google_cloud_run_v2_service.runtime.some_unknown_attribute', problem: 'unknown key' },
        { path: 'google_cloud_run_v2_service.runtime.scaling.max_instance_count', problem: 'unknown key' },
        { path: 'google_cloud_run_v2_service.runtime.template.containers.readiness_probe', problem: 'unknown key' },
        { path: 'google_cloud_run_v2_service.runtime.template.containers.env.foo', problem: 'unknown key' },
        { path: 'google_cloud_run_v2_service.runtime.lifecycle.not_a_lifecycle_setting', problem: 'unknown key' },
        { path: 'data.google_project.project.unknown_filter', problem: 'unknown key' },
        { path: 'provider.google.not_a_provider_setting', problem: 'unknown key' },
      ]),
    );
    expect(unknownKeys(json)).toHaveLength(8);
  });

  it('reports an unknown resource type once per resource', () => {
    expect(unknownKeys(json)).toContainEqual({ path: 'google_not_a_thing.mystery', problem: 'unknown type' });
  });

  it('walks the content of dynamic blocks and skips a block given as a token', () => {
    const found = unknownKeys({
      resource: {
        google_cloud_run_v2_service: {
          runtime: {
            '//': { metadata: {} },
            depends_on: ['google_project_service.run'],
            count: 1,
            template: '${local.template}',
            dynamic: {
              traffic: { for_each: '${var.splits}', content: { percent: 100, weight: 1 } },
              not_a_block: { for_each: [], content: {} },
            },
          },
        },
      },
    });
    expect(found).toEqual([
      { path: 'google_cloud_run_v2_service.runtime.dynamic.traffic.content.weight', problem: 'unknown key' },
      { path: 'google_cloud_run_v2_service.runtime.dynamic.not_a_block', problem: 'unknown key' },
    ]);
  });
});
