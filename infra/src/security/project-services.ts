import { Construct, type IConstruct } from 'constructs';
import { Aspects, type IAspect, TerraformResource, dependable } from 'cdktf';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { apisOf } from './resource-apis';

/** The APIs an Orchestra deployment calls or provisions through. */
export const ORCHESTRA_APIS: readonly string[] = [
  'aiplatform.googleapis.com',
  'artifactregistry.googleapis.com',
  'cloudresourcemanager.googleapis.com',
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
    this.requirement ??= new RequireServices(this.services);
    const aspects = Aspects.of(scope);
    if (!aspects.all.includes(this.requirement)) aspects.add(this.requirement);
  }
}

/** The aspect behind `ProjectServices.requiredBy`: each Terraform resource it visits depends on the services. */
export class RequireServices implements IAspect {
  private readonly byApi: ReadonlyMap<string, string>;

  /** `services` by API name (`google_project_service.service` is a token at synth, not the name). */
  constructor(services: Readonly<Record<string, ProjectService>>) {
    this.byApi = new Map(Object.entries(services).map(([api, s]) => [api, dependable(s)]));
  }

  /**
   * A resource waits for the services of the APIs its type uses (RESOURCE_APIS) that this set
   * enables, so independent parts are created in parallel; a type the table does not know waits
   * for all of them, which is slower but never wrong.
   */
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || node instanceof ProjectService) return;
    const apis = apisOf(node.terraformResourceType);
    const ids = apis === undefined ? [...this.byApi.values()] : apis.flatMap((api) => this.byApi.get(api) ?? []);
    if (ids.length > 0) node.dependsOn = [...new Set([...(node.dependsOn ?? []), ...ids])];
  }
}
