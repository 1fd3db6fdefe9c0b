import { Construct, type IConstruct } from 'constructs';
import { Aspects, type IAspect, TerraformResource, dependable } from 'cdktf';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';

/** The APIs an Orchestra deployment calls or provisions through. */
export const ORCHESTRA_APIS: readonly string[] = [
  'aiplatform.googleapis.com',
  'artifactregistry.googleapis.com',
  'compute.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com',
  'redis.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
  'servicenetworking.googleapis.com',
  'storage.googleapis.com',
];

export interface ProjectServicesProps {
  /**
   * APIs to enable, e.g. `run.googleapis.com`.
   * @default ORCHESTRA_APIS
   */
  readonly services?: readonly string[];
  /**
   * Project to enable them in.
   * @default - the provider's project
   */
  readonly project?: string;
}

/**
 * Enables project APIs. Disabling on destroy is off: other stacks and people in the same project
 * may use the same APIs, and turning one off breaks them.
 */
export class ProjectServices extends Construct {
  /** The `google_project_service` resources, keyed by API name. */
  public readonly services: Readonly<Record<string, ProjectService>>;
  private requirement?: RequireServices;

  constructor(scope: Construct, id: string, props: ProjectServicesProps = {}) {
    super(scope, id);
    const services: Record<string, ProjectService> = {};
    for (const api of props.services ?? ORCHESTRA_APIS) {
      services[api] = new ProjectService(this, api.split('.')[0], {
        project: props.project,
        service: api,
        disableOnDestroy: false,
        disableDependentServices: false,
      });
    }
    this.services = services;
  }

  /**
   * Makes every resource under `scope` wait for these APIs, so a first deploy in a fresh project
   * does not race the enablement. Applied as an aspect, at synth: resources added to `scope`
   * after this call wait too, whatever the order of composition.
   */
  requiredBy(scope: IConstruct): void {
    // One aspect for all scopes: its dependency tokens are the same strings wherever it applies,
    // so a resource under two of them (or one named twice) waits once.
    this.requirement ??= new RequireServices(Object.values(this.services));
    const aspects = Aspects.of(scope);
    if (!aspects.all.includes(this.requirement)) aspects.add(this.requirement);
  }
}

/** The aspect behind `ProjectServices.requiredBy`: each Terraform resource it visits depends on the services. */
export class RequireServices implements IAspect {
  private readonly ids: string[];

  constructor(services: readonly ProjectService[]) {
    this.ids = services.map((s) => dependable(s));
  }

  visit(node: IConstruct): void {
    if (node instanceof TerraformResource && !(node instanceof ProjectService)) {
      node.dependsOn = [...new Set([...(node.dependsOn ?? []), ...this.ids])];
    }
  }
}
