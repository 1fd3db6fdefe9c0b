import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database';
import { FirestoreField } from '@cdktf/provider-google/lib/firestore-field';
import { FirestoreIndex } from '@cdktf/provider-google/lib/firestore-index';
import {
  DEFAULTS,
  FIRESTORE_LOCATION,
  MEMORY_NAMESPACE,
  MID_TERM_INDEXES,
  MID_TERM_TTL,
  type MemorySettingsInput,
  matches,
  midTermCollectionName,
} from '@orchestra/runtime/contract';
import { IGrantable } from '../iam';
import { CustomRole } from '../security/custom-role';
import { PropsValidator } from '../props-validator';

/**
 * What the runtime's MongoDB commands need, from Google's table for Firestore with MongoDB
 * compatibility (docs/security/iam): Find (get, list), Update with upsert (get, list, update,
 * create), deletes (delete), ListIndexes (schemas.list), EndSessions (databases.get).
 * `roles/datastore.user` holds more (statistics, namespaces, allocateIds, database metadata).
 */
export const FIRESTORE_DOCUMENT_PERMISSIONS: readonly string[] = Object.freeze([
  'datastore.databases.get',
  'datastore.entities.create',
  'datastore.entities.delete',
  'datastore.entities.get',
  'datastore.entities.list',
  'datastore.entities.update',
  'datastore.schemas.list',
]);

export interface FirestoreMongoDatabaseProps {
  /** Project of the database; grants are made in it. */
  readonly project: string;
  /** Database id: 4–63 lowercase letters, digits or hyphens, starting with a letter. */
  readonly name: string;
  /** A Firestore location: a region (`us-central1`) or a multi-region (`nam5`). */
  readonly locationId: string;
  /**
   * Refuse deletion: the server-side delete protection is on and `terraform destroy` abandons
   * the database instead of deleting it.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Keep 7 days of point-in-time recovery.
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * The runtime's memory namespace: its collection (`<namespace>_memories`) gets the indexes and
   * the TTL policy declared here. A namespace other than the default is also passed to the
   * runtime in `runtimeSettings`.
   * @default DEFAULTS.memoryNamespace ("orchestra")
   */
  readonly collectionPrefix?: string;
}

/**
 * A Firestore Enterprise database, which serves the MongoDB wire protocol: the mid-term memory
 * store. Clients authenticate as their service account (MONGODB-OIDC), so there is no password
 * to keep, and `connectionUri` is safe to pass as plain configuration.
 */
export class FirestoreMongoDatabase extends Construct {
  public readonly name: string;
  /** `projects/…/databases/…`. */
  public readonly id: string;
  /** Connection string for the official MongoDB drivers (Google's documented form). */
  public readonly connectionUri: string;
  /** The collection mid-term memory uses, which the indexes below are declared on. */
  public readonly collection: string;
  /** The runtime's query indexes by contract name, and its TTL policy: created by the deployer, verified by the runtime. */
  public readonly indexes: Readonly<Record<string, FirestoreIndex>>;
  public readonly ttlPolicy: FirestoreField;
  private readonly project: string;
  private readonly databaseName: string;
  private readonly namespace: string | undefined;

  constructor(scope: Construct, id: string, props: FirestoreMongoDatabaseProps) {
    super(scope, id);
    const protect = props.deletionProtection ?? true;
    new PropsValidator(this.node.path)
      .check('name', props.name, /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/.test(props.name), `"${props.name}" must be 4-63 lowercase letters, digits or hyphens, starting with a letter`)
      .check('locationId', props.locationId, matches(FIRESTORE_LOCATION, props.locationId), `"${props.locationId}" must be ${FIRESTORE_LOCATION.expected}`)
      .check(
        'collectionPrefix',
        props.collectionPrefix,
        props.collectionPrefix === undefined || matches(MEMORY_NAMESPACE, props.collectionPrefix),
        `"${props.collectionPrefix}" must be ${MEMORY_NAMESPACE.expected}`,
      )
      .throwIfInvalid();

    const db = new FirestoreDatabase(this, 'database', {
      project: props.project,
      name: props.name,
      locationId: props.locationId,
      type: 'FIRESTORE_NATIVE',
      databaseEdition: 'ENTERPRISE',
      deleteProtectionState: protect ? 'DELETE_PROTECTION_ENABLED' : 'DELETE_PROTECTION_DISABLED',
      deletionPolicy: protect ? 'ABANDON' : 'DELETE',
      pointInTimeRecoveryEnablement:
        props.pointInTimeRecovery ?? true ? 'POINT_IN_TIME_RECOVERY_ENABLED' : 'POINT_IN_TIME_RECOVERY_DISABLED',
    });

    // The runtime's service account has roles/datastore.user, which cannot create indexes (Google's
    // "Manage indexes" page for Firestore with MongoDB compatibility: index admin, datastore owner,
    // editor or owner), so the deployer creates them here and the runtime only lists them.
    this.collection = midTermCollectionName(props.collectionPrefix ?? DEFAULTS.memoryNamespace);
    const indexes: Record<string, FirestoreIndex> = {};
    for (const index of MID_TERM_INDEXES) {
      indexes[index.name] = new FirestoreIndex(this, `index-${index.name}`, {
        project: props.project,
        database: db.name,
        collection: this.collection,
        // Usable by MongoDB-API queries only; COLLECTION_GROUP and DENSE as in the provider's
        // "Firestore Index Mongodb Compatible Scope" example. DENSE is a MongoDB index without
        // `sparse` (Index.Density in Google's Firestore Admin API: "the default density for an
        // Enterprise Edition database"); multikey stays off: none of these fields holds an array.
        apiScope: 'MONGODB_COMPATIBLE_API',
        queryScope: 'COLLECTION_GROUP',
        density: 'DENSE',
        fields: index.fields.map((f) => ({ fieldPath: f.field, order: f.direction === 1 ? 'ASCENDING' : 'DESCENDING' })),
      });
    }
    this.indexes = indexes;
    // Firestore's TTL policy on the expiry field (Google's "Manage data retention with TTL indexes"
    // page for Firestore with MongoDB compatibility). Enterprise databases have no built-in
    // single-field indexes, so no index_config (the provider's "Firestore Field Timestamp
    // Enterprise" example); `ttl_config {}` is an expiry at the field's date, expireAfterSeconds 0.
    this.ttlPolicy = new FirestoreField(this, 'ttl', {
      project: props.project,
      database: db.name,
      collection: this.collection,
      field: MID_TERM_TTL.field,
      ttlConfig: {},
      // After the indexes: the provider retries a field update that conflicts with other changes to
      // the collection group (409, FirestoreField409RetryUnderlyingDataChanged); serial avoids the race.
      dependsOn: Object.values(indexes),
    });

    this.project = props.project;
    this.databaseName = props.name;
    this.namespace = props.collectionPrefix === undefined || props.collectionPrefix === DEFAULTS.memoryNamespace ? undefined : props.collectionPrefix;
    this.name = db.name;
    this.id = db.id;
    this.connectionUri =
      `mongodb://${db.uid}.${props.locationId}.firestore.goog:443/${props.name}` +
      '?loadBalanced=true&tls=true&retryWrites=false' +
      '&authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp,TOKEN_RESOURCE:FIRESTORE';
  }

  /** How the Orchestra runtime reaches this database: the passwordless connection string, as plain configuration. */
  get runtimeSettings(): Pick<MemorySettingsInput, 'mongo' | 'namespace'> {
    const mongo = { uri: this.connectionUri, database: this.databaseName };
    // Only a non-default namespace is passed: the runtime must use the collection the indexes are on.
    return this.namespace === undefined ? { mongo } : { mongo, namespace: this.namespace };
  }

  /**
   * Lets `grantee` read and write documents in this database only: Firestore's IAM is
   * project-level, so the grant carries a condition on the database's resource name.
   */
  grantReadWrite(grantee: IGrantable): ProjectIamMember {
    const role =
      (this.node.tryFindChild('documents-role') as CustomRole | undefined) ??
      new CustomRole(this, 'documents-role', {
        project: this.project,
        roleId: `${this.databaseName}_documents`,
        title: `Firestore ${this.databaseName} documents (MongoDB API)`,
        description: 'Read, write and delete documents, list indexes: no index or database admin',
        permissions: FIRESTORE_DOCUMENT_PERMISSIONS,
      });
    return role.grant(grantee, {
      title: `${this.databaseName} only`,
      expression: `resource.name == "projects/${this.project}/databases/${this.databaseName}"`,
    });
  }
}
