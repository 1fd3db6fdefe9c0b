import { Construct } from 'constructs';
import { ServiceAccount as GoogleServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { IGrantable } from '../iam';
import { PropsValidator } from '../props-validator';

export interface ServiceAccountProps {
  /** Account id: 6–30 characters, lowercase letters, digits and hyphens. */
  readonly accountId: string;
  /** @default - the account id */
  readonly displayName?: string;
  /** @default - none */
  readonly description?: string;
  /** Project that owns the account. */
  readonly project: string;
}

/**
 * A dedicated service account for one workload. It holds no roles of its own: access is granted
 * by the resources it uses, through their `grant*` methods, so each grant sits beside the thing
 * it opens.
 */
export class ServiceAccount extends Construct implements IGrantable {
  public readonly email: string;
  /** `serviceAccount:<email>`, the IAM member form. */
  public readonly member: string;
  /** `projects/…/serviceAccounts/…`. */
  public readonly name: string;
  public readonly project: string;

  constructor(scope: Construct, id: string, props: ServiceAccountProps) {
    super(scope, id);
    new PropsValidator(this.node.path)
      .check('accountId', props.accountId, /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/.test(props.accountId), `"${props.accountId}" must be 6-30 lowercase letters, digits or hyphens, starting with a letter`)
      .throwIfInvalid();
    const sa = new GoogleServiceAccount(this, 'account', {
      accountId: props.accountId,
      displayName: props.displayName ?? props.accountId,
      description: props.description,
      project: props.project,
    });
    this.project = props.project;
    this.email = sa.email;
    this.member = sa.member;
    this.name = sa.name;
  }
}
