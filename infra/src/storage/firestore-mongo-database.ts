import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database';
import { FIRESTORE_LOCATION, type MemorySettingsInput, matches } from '@orchestra/runtime/contract';
import { IGrantable, grantProjectRole } from '../iam';
import { PropsValidator } from '../props-validator';

/** Read and write documents; no admin (index, database) permissions. */
export const FIRESTORE_USER_ROLE = 'roles/datastore.user';

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
  private readonly project: string;
  private readonly databaseName: string;

  constructor(scope: Construct, id: string, props: FirestoreMongoDatabaseProps) {
    super(scope, id);
    const protect = props.deletionProtection ?? true;
    new PropsValidator(this.node.path)
      .check('name', props.name, /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/.test(props.name), `"${props.name}" must be 4-63 lowercase letters, digits or hyphens, starting with a letter`)
      .check('locationId', props.locationId, matches(FIRESTORE_LOCATION, props.locationId), `"${props.locationId}" must be ${FIRESTORE_LOCATION.expected}`)
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

    this.project = props.project;
    this.databaseName = props.name;
    this.name = db.name;
    this.id = db.id;
    this.connectionUri =
      `mongodb://${db.uid}.${props.locationId}.firestore.goog:443/${props.name}` +
      '?loadBalanced=true&tls=true&retryWrites=false' +
      '&authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp,TOKEN_RESOURCE:FIRESTORE';
  }

  /** How the Orchestra runtime reaches this database: the passwordless connection string, as plain configuration. */
  get runtimeSettings(): Pick<MemorySettingsInput, 'mongo'> {
    return { mongo: { uri: this.connectionUri, database: this.databaseName } };
  }

  /**
   * Lets `grantee` read and write documents in this database only: Firestore's IAM is
   * project-level, so the grant carries a condition on the database's resource name.
   */
  grantReadWrite(grantee: IGrantable): ProjectIamMember {
    return grantProjectRole(this, this.project, FIRESTORE_USER_ROLE, grantee, {
      title: `${this.databaseName} only`,
      expression: `resource.name == "projects/${this.project}/databases/${this.databaseName}"`,
    });
  }
}
