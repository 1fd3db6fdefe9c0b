import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database';
import { RedisInstance } from '@cdktf/provider-google/lib/redis-instance';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Network } from '../../infra/src/networking/network';
import { ServiceAccount } from '../../infra/src/security/service-account';
import { FIRESTORE_DOCUMENT_PERMISSIONS, FirestoreMongoDatabase } from '../../infra/src/storage/firestore-mongo-database';
import {
  MID_TERM_INDEXES,
  MID_TERM_TTL,
  type MemorySettingsInput,
  midTermCollectionName,
  parseRuntimeConfig,
  renderRuntimeSettings,
} from '../../runtime/src/contract';
import { BUCKET_READ_ROLE, BUCKET_READ_WRITE_ROLE, PrivateBucket } from '../../infra/src/storage/private-bucket';
import { RedisCache, RedisCacheProps } from '../../infra/src/storage/redis-cache';
import { onlyResource, resourcesOf, synth } from '../helpers/synth';

describe('RedisCache', () => {
  const build = (props: Partial<RedisCacheProps> = {}) =>
    synth((s) => {
      const net = new Network(s, 'net', { region: 'us-central1' });
      new RedisCache(s, 'redis', {
        name: 'orchestra-short-term',
        region: 'us-central1',
        networkId: net.networkId,
        privateServicesConnection: net.privateServicesConnection,
        ...props,
      });
    });

  it('defaults to HA, private services access, AUTH and TLS', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(RedisInstance, {
      tier: 'STANDARD_HA',
      connect_mode: 'PRIVATE_SERVICE_ACCESS',
      auth_enabled: true,
      transit_encryption_mode: 'SERVER_AUTHENTICATION',
      redis_version: 'REDIS_7_2',
    });
    const instance = onlyResource(json, 'google_redis_instance');
    expect(instance.authorized_network).toMatch(/^\$\{google_compute_network\.net_vpc_\w+\.id\}$/);
    expect(instance.depends_on).toEqual([expect.stringMatching(/^google_service_networking_connection\./)]);
  });

  it('keeps the AUTH string in Secret Manager, by reference only', () => {
    const { json } = build();
    expect(onlyResource(json, 'google_secret_manager_secret').secret_id).toBe('orchestra-short-term-auth');
    expect(onlyResource(json, 'google_secret_manager_secret_version').secret_data).toMatch(/^\$\{google_redis_instance\.\S+\.auth_string\}$/);
  });

  it('can run as BASIC without AUTH or TLS (development), and then keeps no secret', () => {
    const { json } = build({ tier: 'BASIC', authEnabled: false, transitEncryption: false, memorySizeGb: 2 });
    expect(onlyResource(json, 'google_redis_instance')).toMatchObject({
      tier: 'BASIC',
      auth_enabled: false,
      transit_encryption_mode: 'DISABLED',
      memory_size_gb: 2,
    });
    expect(resourcesOf(json, 'google_secret_manager_secret')).toHaveLength(0);
  });

  it('sets prevent_destroy when protected', () => {
    expect(onlyResource(build({ deletionProtection: true }).json, 'google_redis_instance').lifecycle).toEqual({ prevent_destroy: true });
    expect(onlyResource(build().json, 'google_redis_instance').lifecycle).toBeUndefined();
  });

  it('grants connect as read on the AUTH secret', () => {
    const { json } = synth((s) => {
      const sa = new ServiceAccount(s, 'sa', { project: 'p-123456', accountId: 'orchestra-runtime' });
      new RedisCache(s, 'redis', { name: 'cache', region: 'us-central1', networkId: 'projects/p/global/networks/n' }).grantConnect(sa);
    });
    expect(onlyResource(json, 'google_secret_manager_secret_iam_member').role).toBe('roles/secretmanager.secretAccessor');
  });

  it('rejects a bad name, tier and size at once', () => {
    expect(() =>
      synth((s) => new RedisCache(s, 'r', { name: 'Bad_Name', region: 'us-central1', networkId: 'n', tier: 'PREMIUM' as never, memorySizeGb: 0 })),
    ).toThrow(/name: "Bad_Name"[\s\S]*tier: "PREMIUM"[\s\S]*memorySizeGb: 0/);
  });
});

describe('FirestoreMongoDatabase', () => {
  it('is an Enterprise-edition database, protected, with point-in-time recovery', () => {
    const { text } = synth((s) => new FirestoreMongoDatabase(s, 'db', { project: 'p-123456', name: 'orchestra-memory', locationId: 'nam5' }));
    expect(text).toHaveResourceWithProperties(FirestoreDatabase, {
      name: 'orchestra-memory',
      location_id: 'nam5',
      type: 'FIRESTORE_NATIVE',
      database_edition: 'ENTERPRISE',
      delete_protection_state: 'DELETE_PROTECTION_ENABLED',
      deletion_policy: 'ABANDON',
      point_in_time_recovery_enablement: 'POINT_IN_TIME_RECOVERY_ENABLED',
    });
  });

  it('deletes on destroy when unprotected', () => {
    const { json } = synth((s) =>
      new FirestoreMongoDatabase(s, 'db', { project: 'p-123456', name: 'orchestra-memory', locationId: 'us-central1', deletionProtection: false, pointInTimeRecovery: false }),
    );
    expect(onlyResource(json, 'google_firestore_database')).toMatchObject({
      delete_protection_state: 'DELETE_PROTECTION_DISABLED',
      deletion_policy: 'DELETE',
      point_in_time_recovery_enablement: 'POINT_IN_TIME_RECOVERY_DISABLED',
    });
  });

  it('gives a passwordless MongoDB connection string in Google documented form', () => {
    let uri = '';
    const { json } = synth((s) => {
      uri = new FirestoreMongoDatabase(s, 'db', { project: 'p-123456', name: 'orchestra-memory', locationId: 'us-central1' }).connectionUri;
      new StorageBucket(s, 'probe', { name: 'probe', location: 'EU', labels: { uri } });
    });
    const resolved: string = onlyResource(json, 'google_storage_bucket').labels.uri;
    expect(resolved).toMatch(/^mongodb:\/\/\$\{google_firestore_database\.\S+\.uid\}\.us-central1\.firestore\.goog:443\/orchestra-memory\?/);
    const params = new URLSearchParams(resolved.split('?')[1]);
    expect(Object.fromEntries(params)).toEqual({
      loadBalanced: 'true',
      tls: 'true',
      retryWrites: 'false',
      authMechanism: 'MONGODB-OIDC',
      authMechanismProperties: 'ENVIRONMENT:gcp,TOKEN_RESOURCE:FIRESTORE',
    });
    expect(resolved).not.toMatch(/:[^/@]+@/); // no user:password@
  });

  it('grants read/write on this database only, through an IAM condition', () => {
    const { json } = synth((s) => {
      const db = new FirestoreMongoDatabase(s, 'db', { project: 'p-123456', name: 'orchestra-memory', locationId: 'us-central1' });
      db.grantReadWrite({ member: 'serviceAccount:rt@p-123456.iam.gserviceaccount.com' });
    });
    const [roleId, role] = Object.entries(json.resource?.google_project_iam_custom_role ?? {})[0];
    expect(role).toMatchObject({ project: 'p-123456', role_id: 'orchestra_memory_documents', permissions: [...FIRESTORE_DOCUMENT_PERMISSIONS].sort() });
    expect(onlyResource(json, 'google_project_iam_member')).toMatchObject({
      role: `\${google_project_iam_custom_role.${roleId}.name}`,
      member: 'serviceAccount:rt@p-123456.iam.gserviceaccount.com',
      condition: { expression: 'resource.name == "projects/p-123456/databases/orchestra-memory"' },
    });
  });

  it("declares the runtime's indexes and TTL policy from its contract, for the MongoDB API, after the database", () => {
    const { json } = synth((s) => new FirestoreMongoDatabase(s, 'db', { project: 'p-123456', name: 'orchestra-memory', locationId: 'us-central1' }));
    const indexes = resourcesOf(json, 'google_firestore_index');
    expect(indexes).toHaveLength(MID_TERM_INDEXES.length);
    expect(indexes[0]).toMatchObject({
      project: 'p-123456',
      database: expect.stringMatching(/^\$\{google_firestore_database\.\S+\.name\}$/),
      collection: 'orchestra_memories',
      api_scope: 'MONGODB_COMPATIBLE_API',
      query_scope: 'COLLECTION_GROUP',
      density: 'DENSE',
      fields: [
        { field_path: 'conversationId', order: 'ASCENDING' },
        { field_path: 'createdAt', order: 'DESCENDING' },
      ],
    });
    expect(indexes[0].multikey).toBeUndefined();
    const ttl = onlyResource(json, 'google_firestore_field');
    expect(ttl).toMatchObject({
      database: expect.stringMatching(/^\$\{google_firestore_database\.\S+\.name\}$/),
      collection: 'orchestra_memories',
      field: MID_TERM_TTL.field,
      ttl_config: {},
    });
    // Enterprise databases have no single-field index configuration to override.
    expect(ttl.index_config).toBeUndefined();
    expect(ttl.depends_on).toEqual([expect.stringMatching(/^google_firestore_index\./)]);
  });

  it('puts the indexes on the collection of a custom namespace and tells the runtime that namespace', () => {
    let settings: unknown;
    let defaults: unknown;
    const { json } = synth((s) => {
      settings = new FirestoreMongoDatabase(s, 'db', { project: 'p-123456', name: 'orchestra-memory', locationId: 'us-central1', collectionPrefix: 'team_a' }).runtimeSettings;
      defaults = new FirestoreMongoDatabase(s, 'db2', { project: 'p-123456', name: 'other-memory', locationId: 'us-central1' }).runtimeSettings;
    });
    expect(resourcesOf(json, 'google_firestore_index').map((i) => i.collection).sort()).toEqual(['orchestra_memories', midTermCollectionName('team_a')]);
    expect(settings).toMatchObject({ namespace: 'team_a' });
    expect(defaults).not.toHaveProperty('namespace');
    // The runtime parses what the construct hands it into the same collection name.
    const { env } = renderRuntimeSettings({ memory: { namespace: (settings as MemorySettingsInput).namespace } });
    expect(midTermCollectionName(parseRuntimeConfig(env).memory.namespace)).toBe('team_a_memories');
  });

  it('rejects a bad database id, location and collection prefix at once', () => {
    expect(() => synth((s) => new FirestoreMongoDatabase(s, 'db', { project: 'p', name: 'DB', locationId: 'moon', collectionPrefix: 'a.b' }))).toThrow(
      /name: "DB"[\s\S]*locationId: "moon"[\s\S]*collectionPrefix: "a.b"/,
    );
  });
});

describe('PrivateBucket', () => {
  it('cannot be made public and keeps versions', () => {
    const { text, json } = synth((s) => new PrivateBucket(s, 'b', { name: 'acme-vectors', location: 'us-central1' }));
    expect(text).toHaveResourceWithProperties(StorageBucket, {
      name: 'acme-vectors',
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      versioning: { enabled: true },
      force_destroy: false,
    });
    expect(onlyResource(json, 'google_storage_bucket').lifecycle_rule[0].condition.days_since_noncurrent_time).toBe(30);
  });

  it('allows teardown with objects when unprotected, and no lifecycle rule without versioning', () => {
    const { json } = synth((s) => new PrivateBucket(s, 'b', { name: 'acme-vectors', location: 'EU', deletionProtection: false, versioning: false }));
    expect(onlyResource(json, 'google_storage_bucket')).toMatchObject({ force_destroy: true, versioning: { enabled: false } });
    expect(onlyResource(json, 'google_storage_bucket').lifecycle_rule).toBeUndefined();
  });

  it('grants object roles on the bucket, never public', () => {
    const { text, json } = synth((s) => {
      const b = new PrivateBucket(s, 'b', { name: 'acme-vectors', location: 'EU' });
      b.grantRead({ member: 'group:readers@example.com' });
      b.grantReadWrite({ member: 'serviceAccount:w@p-123456.iam.gserviceaccount.com' });
    });
    expect(text).toHaveResourceWithProperties(StorageBucketIamMember, { role: BUCKET_READ_ROLE, member: 'group:readers@example.com' });
    expect(text).toHaveResourceWithProperties(StorageBucketIamMember, { role: BUCKET_READ_WRITE_ROLE });
    expect(resourcesOf(json, 'google_storage_bucket_iam_member')).toHaveLength(2);
    expect(() => synth((s) => new PrivateBucket(s, 'b', { name: 'acme-x', location: 'EU' }).grantRead({ member: 'allUsers' }))).toThrow(/named principal/);
  });

  it('rejects an invalid name', () => {
    expect(() => synth((s) => new PrivateBucket(s, 'b', { name: 'Google-Bucket', location: 'EU' }))).toThrow(/name: "Google-Bucket"/);
  });
});
