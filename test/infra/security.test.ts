import { Construct } from 'constructs';
import { TerraformResource, dependable } from 'cdktf';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { ServiceAccount as GoogleServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { ORCHESTRA_APIS, ProjectServices } from '../../infra/src/security/project-services';
import { RESOURCE_APIS } from '../../infra/src/security/resource-apis';
import { SECRET_ACCESSOR_ROLE, Secret } from '../../infra/src/security/secret';
import { SECRET_PLACEHOLDER } from '../../runtime/src/contract';
import { ServiceAccount } from '../../infra/src/security/service-account';
import { grantProjectRole } from '../../infra/src/iam';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';

describe('ServiceAccount', () => {
  it('creates a dedicated account that holds no roles of its own', () => {
    const { text, json } = synth((s) => new ServiceAccount(s, 'sa', { project: 'p-123456', accountId: 'orchestra-runtime' }));
    expect(text).toHaveResourceWithProperties(GoogleServiceAccount, { account_id: 'orchestra-runtime', project: 'p-123456' });
    expect(resourcesOf(json, 'google_project_iam_member')).toHaveLength(0);
  });

  it('exposes the IAM member form', () => {
    let member = '';
    synth((s) => {
      member = new ServiceAccount(s, 'sa', { project: 'p-123456', accountId: 'orchestra-runtime' }).member;
    });
    expect(member).toMatch(/^\$\{TfToken\[/);
  });

  it.each(['short', 'Upper-case-id', '9starts-with-digit', 'ends-with-hyphen-', 'x'.repeat(31)])('rejects account id %s', (accountId) => {
    expect(() => synth((s) => new ServiceAccount(s, 'sa', { project: 'p-123456', accountId }))).toThrow(/accountId: .* must be 6-30/);
  });
});

describe('Secret', () => {
  it('with placeholder, writes a first version holding the marker (not a credential) that Terraform never rewrites', () => {
    let secret!: Secret;
    const { json } = synth((s) => (secret = new Secret(s, 'k', { secretId: 'api-keys', placeholder: true })));
    expect(onlyResource(json, 'google_secret_manager_secret_version')).toMatchObject({
      secret_data: SECRET_PLACEHOLDER,
      lifecycle: { ignore_changes: ['secret_data'] },
    });
    expect(secret.version).toBeDefined(); // readers that need a value at start wait for it
    expect(resourcesOf(synth((s) => new Secret(s, 'k', { secretId: 'x' })).json, 'google_secret_manager_secret_version')).toHaveLength(0);
  });

  it('is created empty with automatic replication', () => {
    const { text, json } = synth((s) => new Secret(s, 'k', { secretId: 'llm-key' }));
    expect(text).toHaveResourceWithProperties(SecretManagerSecret, { secret_id: 'llm-key', replication: { auto: {} }, deletion_protection: false });
    expect(resourcesOf(json, 'google_secret_manager_secret_version')).toHaveLength(0);
  });

  it('keeps replicas in the given regions and can be protected', () => {
    const { json } = synth((s) => new Secret(s, 'k', { secretId: 'llm-key', replicaLocations: ['europe-west1', 'europe-west4'], deletionProtection: true }));
    const secret = onlyResource(json, 'google_secret_manager_secret');
    expect(secret.replication).toEqual({ user_managed: { replicas: [{ location: 'europe-west1' }, { location: 'europe-west4' }] } });
    expect(secret.deletion_protection).toBe(true);
  });

  it('takes a first version only from another resource, by reference', () => {
    const { json } = synth((s) => {
      const bucket = new StorageBucket(s, 'b', { name: 'x-bucket', location: 'EU' });
      new Secret(s, 'k', { secretId: 'derived', valueFrom: bucket.url });
    });
    expect(onlyResource(json, 'google_secret_manager_secret_version').secret_data).toMatch(/^\$\{google_storage_bucket\.b\.url\}$/);
  });

  it('refuses a literal value, so no secret ever lands in the synthesized JSON', () => {
    expect(() => synth((s) => new Secret(s, 'k', { secretId: 'x', valueFrom: 'sk-live-123' }))).toThrow(/valueFrom: must be a reference/);
  });

  it('rejects a bad id and an empty replica list together', () => {
    expect(() => synth((s) => new Secret(s, 'k', { secretId: 'bad id!', replicaLocations: [] }))).toThrow(/secretId: "bad id!"[\s\S]*replicaLocations: give at least one/);
  });

  it('grants read on this secret only, once per principal', () => {
    const { text, json } = synth((s) => {
      const sa = new ServiceAccount(s, 'sa', { project: 'p-123456', accountId: 'orchestra-runtime' });
      const secret = new Secret(s, 'k', { secretId: 'llm-key' });
      secret.grantRead(sa);
      secret.grantRead(sa);
      secret.grantRead({ member: 'group:ops@example.com' });
    });
    expect(text).toHaveResourceWithProperties(SecretManagerSecretIamMember, { role: SECRET_ACCESSOR_ROLE, member: 'group:ops@example.com' });
    expect(resourcesOf(json, 'google_secret_manager_secret_iam_member')).toHaveLength(2);
    expect(resourcesOf(json, 'google_project_iam_member')).toHaveLength(0);
  });

  it.each(['allUsers', 'allAuthenticatedUsers', 'not-a-member'])('refuses to grant read to %s', (member) => {
    expect(() => synth((s) => new Secret(s, 'k', { secretId: 'x' }).grantRead({ member }))).toThrow(/named principal/);
  });
});

describe('ProjectServices', () => {
  it('enables the APIs Orchestra uses and leaves them on at destroy', () => {
    const { text, json } = synth((s) => new ProjectServices(s, 'apis', { project: 'p-123456' }));
    expect(resourcesOf(json, 'google_project_service').map((r) => r.service).sort()).toEqual([...ORCHESTRA_APIS].sort());
    expect(text).toHaveResourceWithProperties(ProjectService, { service: 'run.googleapis.com', disable_on_destroy: false });
  });

  it('makes every other resource in a scope wait for the APIs its type uses (RESOURCE_APIS), and an unknown type for all', () => {
    const { json } = synth((s) => {
      const apis = new ProjectServices(s, 'apis', { services: ['run.googleapis.com', 'secretmanager.googleapis.com'] });
      new Secret(s, 'k', { secretId: 'x' });
      new TerraformResource(s, 'unknown', { terraformResourceType: 'google_something_new' });
      apis.requiredBy(s);
    });
    expect(onlyResource(json, 'google_secret_manager_secret').depends_on).toEqual([expect.stringMatching(/^google_project_service\.apis_secretmanager_/)]);
    expect(onlyResource(json, 'google_something_new').depends_on).toEqual([
      expect.stringMatching(/^google_project_service\.apis_run_/),
      expect.stringMatching(/^google_project_service\.apis_secretmanager_/),
    ]);
    for (const s of resourcesOf(json, 'google_project_service')) expect(s.depends_on).toBeUndefined();
  });

  it('enables the Resource Manager API, which every project IAM binding goes through', () => {
    expect(ORCHESTRA_APIS).toContain('cloudresourcemanager.googleapis.com');
    expect(RESOURCE_APIS.google_project_iam_member.apis).toEqual(['cloudresourcemanager.googleapis.com']);
  });

  it('covers resources created after requiredBy too (applied at synth, whatever the order of composition)', () => {
    const { json } = synth((s) => {
      new ProjectServices(s, 'apis', { services: ['secretmanager.googleapis.com'] }).requiredBy(s);
      const later = new Secret(s, 'later', { secretId: 'later' });
      later.grantRead({ member: 'group:readers@example.com' });
    });
    expect(onlyResource(json, 'google_secret_manager_secret').depends_on).toEqual([expect.stringMatching(/^google_project_service\.apis_secretmanager_/)]);
    expect(onlyResource(json, 'google_secret_manager_secret_iam_member').depends_on).toEqual([expect.stringMatching(/^google_project_service\.apis_secretmanager_/)]);
  });

  it('adds to what a resource waits for already, without duplicates, and only under its scope', () => {
    const { json } = synth((s) => {
      const apis = new ProjectServices(s, 'apis', { services: ['secretmanager.googleapis.com'] });
      const inside = new Construct(s, 'inside');
      const first = new Secret(inside, 'first', { secretId: 'first' });
      const second = new Secret(inside, 'second', { secretId: 'second' });
      (second.node.findChild('secret') as TerraformResource).dependsOn = [dependable(first.node.findChild('secret') as TerraformResource)];
      new Secret(s, 'outside', { secretId: 'outside' });
      apis.requiredBy(inside);
      apis.requiredBy(inside);
    });
    const byId = Object.fromEntries(resourcesOf(json, 'google_secret_manager_secret').map((r) => [r.secret_id, r.depends_on]));
    expect(byId.first).toEqual([expect.stringMatching(/^google_project_service\./)]);
    expect(byId.second).toEqual([expect.stringMatching(/^google_secret_manager_secret\.inside_first/), expect.stringMatching(/^google_project_service\./)]);
    expect(byId.outside).toBeUndefined();
  });
});

describe('project-level grants', () => {
  it.each(['roles/owner', 'roles/editor', 'roles/viewer'])('refuse the basic role %s', (role) => {
    expect(() => synth((s) => grantProjectRole(s, 'p-123456', role, { member: 'user:a@example.com' }))).toThrow(/basic role/);
  });
});
