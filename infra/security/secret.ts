import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { IGrantable, assertNamedPrincipal, grantId, onceGrant } from '../iam';
import { PropsValidator } from '../props-validator';

/** Role to read a secret's payload: nothing else (no listing, no writing versions). */
export const SECRET_ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';

export interface SecretProps {
  /** Secret id: letters, digits, hyphens and underscores, at most 255 characters. */
  readonly secretId: string;
  /**
   * Regions to keep replicas in (data residency). Each is a location such as `us-central1`.
   * @default - automatic replication, chosen by Google
   */
  readonly replicaLocations?: readonly string[];
  /**
   * A value computed by another resource at deploy time (a token, e.g. Memorystore's AUTH
   * string), written as the first version. A literal string is refused: secret values are added
   * out of band and never appear in code or synthesized JSON.
   * @default - no version: add one with `gcloud secrets versions add`
   */
  readonly valueFrom?: string;
  /**
   * Refuse `terraform destroy` of the secret (and so of every version).
   * @default false
   */
  readonly deletionProtection?: boolean;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A Secret Manager secret, created empty unless its value comes from another resource. Readers
 * are granted per secret, never project-wide.
 */
export class Secret extends Construct {
  /** The secret's id, as Cloud Run's `secret_key_ref.secret` takes it. */
  public readonly secretId: string;
  /** `projects/…/secrets/…`. */
  public readonly name: string;
  /** The resource id, for IAM and references. */
  public readonly id: string;
  /** The version written from `valueFrom`; readers that need a value at start wait for it. */
  public readonly version?: SecretManagerSecretVersion;

  constructor(scope: Construct, id: string, props: SecretProps) {
    super(scope, id);
    new PropsValidator(this.node.path)
      .check(props.secretId, /^[A-Za-z0-9_-]{1,255}$/.test(props.secretId), `secretId: "${props.secretId}" must be 1-255 letters, digits, hyphens or underscores`)
      .check(props.replicaLocations, props.replicaLocations === undefined || props.replicaLocations.length > 0, 'replicaLocations: give at least one location, or leave it unset for automatic replication')
      .throwIfInvalid();
    // Not routed through PropsValidator: a literal must fail even though it is a string.
    if (props.valueFrom !== undefined && !Token.isUnresolved(props.valueFrom)) {
      throw new Error(
        `${this.node.path}: valueFrom must be a reference to another resource's attribute; a literal secret value would be stored in the synthesized configuration`,
      );
    }

    const secret = new SecretManagerSecret(this, 'secret', {
      secretId: props.secretId,
      labels: props.labels ? { ...props.labels } : undefined,
      deletionProtection: props.deletionProtection ?? false,
      replication: props.replicaLocations
        ? { userManaged: { replicas: props.replicaLocations.map((location) => ({ location })) } }
        : { auto: {} },
    });
    if (props.valueFrom !== undefined) {
      this.version = new SecretManagerSecretVersion(this, 'version', { secret: secret.id, secretData: props.valueFrom });
    }
    this.secretId = secret.secretId;
    this.name = secret.name;
    this.id = secret.id;
  }

  /** Lets `grantee` read the secret's versions, on this secret only. */
  grantRead(grantee: IGrantable): SecretManagerSecretIamMember {
    assertNamedPrincipal(this.node.path, grantee);
    const id = grantId('read', grantee);
    return onceGrant(this, id, () =>
      new SecretManagerSecretIamMember(this, id, { secretId: this.id, role: SECRET_ACCESSOR_ROLE, member: grantee.member }),
    );
  }
}
