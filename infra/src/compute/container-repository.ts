import { Construct } from 'constructs';
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { IGrantable, assertNamedPrincipal, grantId, onceGrant } from '../iam';
import { PropsValidator } from '../props-validator';
import { isResourceName } from '../naming';

export const REPOSITORY_READER_ROLE = 'roles/artifactregistry.reader';
export const REPOSITORY_WRITER_ROLE = 'roles/artifactregistry.writer';

export interface ContainerRepositoryProps {
  readonly project: string;
  /** Repository id: lowercase letters, digits, hyphens. */
  readonly repositoryId: string;
  /** Region of the repository (also the registry host: `<location>-docker.pkg.dev`). */
  readonly location: string;
  /**
   * Refuse to overwrite a tag once pushed, so a deployed tag always names the same image.
   * @default false
   */
  readonly immutableTags?: boolean;
  /**
   * How many most recent versions of each image are always kept; other versions are deleted
   * once older than 30 days.
   * @default 20
   */
  readonly keepRecentVersions?: number;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** An Artifact Registry Docker repository for the runtime's images. */
export class ContainerRepository extends Construct {
  /** `<location>-docker.pkg.dev/<project>/<repository>`: prefix of image references. */
  public readonly url: string;
  /** `projects/…/locations/…/repositories/…`. */
  public readonly id: string;
  private readonly repository: ArtifactRegistryRepository;

  constructor(scope: Construct, id: string, props: ContainerRepositoryProps) {
    super(scope, id);
    const keep = props.keepRecentVersions ?? 20;
    new PropsValidator(this.node.path)
      .check('repositoryId', props.repositoryId, isResourceName(props.repositoryId), `"${props.repositoryId}" must be lowercase letters, digits and hyphens, starting with a letter`)
      .check('keepRecentVersions', keep, Number.isInteger(keep) && keep >= 1, `${keep} must be a whole number, at least 1`)
      .throwIfInvalid();

    this.repository = new ArtifactRegistryRepository(this, 'repository', {
      project: props.project,
      repositoryId: props.repositoryId,
      location: props.location,
      format: 'DOCKER',
      description: 'Orchestra runtime images',
      dockerConfig: { immutableTags: props.immutableTags ?? false },
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        { id: 'keep-recent', action: 'KEEP', mostRecentVersions: { keepCount: keep } },
        // KEEP wins over DELETE: images older than 30 days go, unless among the most recent.
        { id: 'delete-old', action: 'DELETE', condition: { tagState: 'ANY', olderThan: '2592000s' } },
      ],
      labels: props.labels ? { ...props.labels } : undefined,
    });
    this.url = `${props.location}-docker.pkg.dev/${props.project}/${this.repository.repositoryId}`;
    this.id = this.repository.id;
  }

  /** Lets `grantee` pull images. */
  grantPull(grantee: IGrantable): ArtifactRegistryRepositoryIamMember {
    return this.grant('pull', REPOSITORY_READER_ROLE, grantee);
  }

  /** Lets `grantee` push (and pull) images; not delete the repository or change its settings. */
  grantPush(grantee: IGrantable): ArtifactRegistryRepositoryIamMember {
    return this.grant('push', REPOSITORY_WRITER_ROLE, grantee);
  }

  private grant(kind: string, role: string, grantee: IGrantable): ArtifactRegistryRepositoryIamMember {
    assertNamedPrincipal(this.node.path, grantee);
    const id = grantId(kind, grantee);
    return onceGrant(this, id, () =>
      new ArtifactRegistryRepositoryIamMember(this, id, {
        project: this.repository.project,
        location: this.repository.location,
        repository: this.repository.name,
        role,
        member: grantee.member,
      }),
    );
  }
}
