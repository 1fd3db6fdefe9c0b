import { Construct } from 'constructs';
import { type ITerraformDependable, Token } from 'cdktf';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { SECRET_PLACEHOLDER } from '@orchestra/runtime/contract';
import { IGrantable, assertNamedPrincipal, grantId, onceGrant } from '../iam';
import { InvalidPropsError, PropsValidator } from '../props-validator';

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
   * Write a first version holding `SECRET_PLACEHOLDER` (a marker, not a credential) when there is
   * no `valueFrom`, so that a reader pinned to `latest` — a Cloud Run service, which will not
   * create a revision whose secret has no version — can be deployed before an operator adds the
   * real value with `gcloud secrets versions add`. Terraform never rewrites that version (its
   * data is ignored after creation), so the operator's version stays the latest. The Orchestra
   * runtime refuses to start on the marker, naming the variable.
   * @default false
   */
  readonly placeholder?: boolean;
  /**
   * Refuse `terraform destroy` of the secret (and so of every version).
   * @default false
   */
  readonly deletionProtection?: boolean;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Secret Manager secret: one this kit created (`Secret`), or one that exists already (`Secret.fromSecretId`). */
export interface ISecret {
  /** The secret's short id. */
  readonly secretId: string;
  /**
   * How a Cloud Run service names it (`secret_key_ref.secret`): the id for a secret of the
   * provider's project, `projects/<project>/secrets/<id>` for one of another project.
   */
  readonly reference: string;
  /** A version written at deploy, which readers that need a value at start must wait for. */
  readonly version?: ITerraformDependable;
  /** Lets `grantee` read the secret's versions, on this secret only. */
  grantRead(grantee: IGrantable): SecretManagerSecretIamMember;
}

export interface SecretImportOptions {
  /**
   * Project of the secret.
   * @default - the provider's project
   */
  readonly project?: string;
}

/** Secret Manager's rule for a secret id, checked for created and imported secrets alike. */
function checkSecretId(validator: PropsValidator, secretId: string): PropsValidator {
  return validator.check('secretId', secretId, /^[A-Za-z0-9_-]{1,255}$/.test(secretId), `"${secretId}" must be 1-255 letters, digits, hyphens or underscores`);
}

function grantSecretRead(scope: Construct, secretId: string, grantee: IGrantable): SecretManagerSecretIamMember {
  assertNamedPrincipal(scope.node.path, grantee);
  const id = grantId('read', grantee);
  return onceGrant(scope, id, () => new SecretManagerSecretIamMember(scope, id, { secretId, role: SECRET_ACCESSOR_ROLE, member: grantee.member }));
}

/**
 * A Secret Manager secret, created empty unless its value comes from another resource. Readers
 * are granted per secret, never project-wide.
 */
export class Secret extends Construct implements ISecret {
  /**
   * A secret that exists already (created by hand, by another stack, in another project): mount
   * it on a service and grant read on it like one made here. Nothing about it is looked up or
   * changed; only the grants made through it are added.
   */
  static fromSecretId(scope: Construct, id: string, secretId: string, options: SecretImportOptions = {}): ISecret {
    return new ImportedSecret(scope, id, secretId, options);
  }

  public readonly secretId: string;
  public readonly reference: string;
  /** `projects/…/secrets/…`. */
  public readonly name: string;
  /** The resource id, for IAM and references. */
  public readonly id: string;
  /** The version written from `valueFrom` (or the placeholder); readers that need a value at start wait for it. */
  public readonly version?: SecretManagerSecretVersion;

  constructor(scope: Construct, id: string, props: SecretProps) {
    super(scope, id);
    checkSecretId(new PropsValidator(this.node.path), props.secretId)
      .check('replicaLocations', props.replicaLocations, props.replicaLocations === undefined || props.replicaLocations.length > 0, 'give at least one location, or leave it unset for automatic replication')
      .throwIfInvalid();
    // Not routed through PropsValidator: a literal must fail even though it is a string.
    if (props.valueFrom !== undefined && !Token.isUnresolved(props.valueFrom)) {
      throw new InvalidPropsError(this.node.path, [
        { path: 'valueFrom', message: "must be a reference to another resource's attribute; a literal secret value would be stored in the synthesized configuration" },
      ]);
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
    } else if (props.placeholder) {
      this.version = new SecretManagerSecretVersion(this, 'placeholder', {
        secret: secret.id,
        secretData: SECRET_PLACEHOLDER,
        lifecycle: { ignoreChanges: ['secret_data'] },
      });
    }
    this.secretId = secret.secretId;
    this.reference = secret.secretId;
    this.name = secret.name;
    this.id = secret.id;
  }

  grantRead(grantee: IGrantable): SecretManagerSecretIamMember {
    return grantSecretRead(this, this.id, grantee);
  }
}

/** A secret this stack does not manage; see `Secret.fromSecretId`. */
class ImportedSecret extends Construct implements ISecret {
  readonly reference: string;

  constructor(
    scope: Construct,
    id: string,
    readonly secretId: string,
    options: SecretImportOptions,
  ) {
    super(scope, id);
    checkSecretId(new PropsValidator(this.node.path), secretId).throwIfInvalid();
    this.reference = options.project === undefined ? secretId : `projects/${options.project}/secrets/${secretId}`;
  }

  grantRead(grantee: IGrantable): SecretManagerSecretIamMember {
    return grantSecretRead(this, this.reference, grantee);
  }
}
