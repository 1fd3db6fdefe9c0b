import { Construct } from 'constructs';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { IGrantable, assertNamedPrincipal, grantId, onceGrant } from '../iam';
import { PropsValidator } from '../props-validator';

export const BUCKET_READ_ROLE = 'roles/storage.objectViewer';
export const BUCKET_READ_WRITE_ROLE = 'roles/storage.objectUser';

export interface PrivateBucketProps {
  /** Globally unique bucket name: 3–63 lowercase letters, digits, hyphens, underscores, dots. */
  readonly name: string;
  /** Region or multi-region. */
  readonly location: string;
  /**
   * Keep noncurrent versions of overwritten or deleted objects.
   * @default true
   */
  readonly versioning?: boolean;
  /**
   * Days after which a noncurrent version is deleted (with versioning on).
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Refuse to destroy a bucket that still holds objects (Terraform's `force_destroy` off).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A Cloud Storage bucket that cannot be made public: uniform bucket-level access (no object
 * ACLs) and public access prevention enforced, versioned by default.
 */
export class PrivateBucket extends Construct {
  public readonly name: string;
  /** `gs://<name>`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    const versioning = props.versioning ?? true;
    const retention = props.noncurrentVersionRetentionDays ?? 30;
    new PropsValidator(this.node.path)
      .check('name', props.name, /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(props.name) && !props.name.startsWith('goog'), `"${props.name}" must be 3-63 lowercase letters, digits, dots, hyphens or underscores, and not start with "goog"`)
      .check('noncurrentVersionRetentionDays', retention, Number.isInteger(retention) && retention >= 1, `${retention} must be a whole number of days, at least 1`)
      .throwIfInvalid();

    const bucket = new StorageBucket(this, 'bucket', {
      name: props.name,
      location: props.location,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: versioning },
      forceDestroy: !(props.deletionProtection ?? true),
      lifecycleRule: versioning
        ? [{ action: { type: 'Delete' }, condition: { daysSinceNoncurrentTime: retention, withState: 'ARCHIVED' } }]
        : undefined,
      labels: props.labels ? { ...props.labels } : undefined,
    });
    this.name = bucket.name;
    this.url = `gs://${bucket.name}`;
  }

  /** Lets `grantee` list and read objects. */
  grantRead(grantee: IGrantable): StorageBucketIamMember {
    return this.grant('read', BUCKET_READ_ROLE, grantee);
  }

  /** Lets `grantee` list, read, create, overwrite and delete objects (not change the bucket). */
  grantReadWrite(grantee: IGrantable): StorageBucketIamMember {
    return this.grant('read-write', BUCKET_READ_WRITE_ROLE, grantee);
  }

  private grant(kind: string, role: string, grantee: IGrantable): StorageBucketIamMember {
    assertNamedPrincipal(this.node.path, grantee);
    const id = grantId(kind, grantee);
    return onceGrant(this, id, () => new StorageBucketIamMember(this, id, { bucket: this.name, role, member: grantee.member }));
  }
}
