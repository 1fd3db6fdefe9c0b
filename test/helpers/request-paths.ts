/**
 * How a request reaches a Cloud Run service, modelled from Google's documentation (not from our
 * constructs), so that a test can ask of a synthesized stack: "can a client get an answer, and
 * through what?"
 *
 * - Ingress ("Restrict network ingress for Cloud Run", https://cloud.google.com/run/docs/securing/ingress):
 *   `INGRESS_TRAFFIC_ALL` admits the run.app URL from the internet; `INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER`
 *   admits external Application Load Balancers and the VPC, and refuses the run.app URL from the
 *   internet; `INGRESS_TRAFFIC_INTERNAL_ONLY` admits the VPC only.
 * - The IAM invoker check ("Disable the Cloud Run Invoker IAM check" and "Authenticating",
 *   https://cloud.google.com/run/docs/securing/managing-access#invoker_check,
 *   https://cloud.google.com/run/docs/authenticating/overview): unless `invoker_iam_disabled`,
 *   every request needs a Google identity token of a principal with `run.routes.invoke`
 *   (`roles/run.invoker`, or a project role that includes it); `allUsers` as an invoker lets
 *   requests without a token through. Anything else is refused with 403.
 * - An external Application Load Balancer with a serverless NEG forwards the client's request
 *   as it came ("Serverless network endpoint groups overview",
 *   https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts); it mints no token.
 *   IAP on the backend service authenticates users and calls the service as IAP's service agent
 *   ("Enabling IAP for Cloud Run", https://cloud.google.com/iap/docs/enabling-cloud-run), which
 *   then needs `roles/run.invoker`.
 */
import type { TerraformJson } from './synth';

export type Entry = 'load-balancer' | 'run.app' | 'vpc';
export type Credential = 'none' | 'identity-token';

export interface RequestPath {
  readonly entry: Entry;
  /** The Cloud Run service (its `name`) the path ends at. */
  readonly service: string;
  /** The forwarding rule a load-balancer path starts from (resource id). */
  readonly via?: string;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly status: 403 | 404; readonly why: string };

type Resources = Record<string, Record<string, any>>;

const refTo = (value: unknown, type: string): string | undefined =>
  typeof value === 'string' ? new RegExp(`^\\$\\{${type}\\.([\\w-]+)\\.(id|name|self_link)\\}$`).exec(value)?.[1] : undefined;

function resources(json: TerraformJson, type: string): Resources {
  return (json.resource?.[type] ?? {}) as Resources;
}

/** Every service's run.app and VPC entries, and each external load balancer that ends at a service. */
export function requestPaths(json: TerraformJson): RequestPath[] {
  const services = resources(json, 'google_cloud_run_v2_service');
  const paths: RequestPath[] = Object.values(services).flatMap((s) => [
    { entry: 'run.app' as const, service: s.name as string },
    { entry: 'vpc' as const, service: s.name as string },
  ]);
  const proxies = resources(json, 'google_compute_target_https_proxy');
  const urlMaps = resources(json, 'google_compute_url_map');
  const backends = resources(json, 'google_compute_backend_service');
  const negs = resources(json, 'google_compute_region_network_endpoint_group');
  for (const [id, rule] of Object.entries(resources(json, 'google_compute_global_forwarding_rule'))) {
    if (rule.load_balancing_scheme !== 'EXTERNAL_MANAGED') continue;
    const proxy = proxies[refTo(rule.target, 'google_compute_target_https_proxy') ?? ''];
    const urlMap = proxy && urlMaps[refTo(proxy.url_map, 'google_compute_url_map') ?? ''];
    const backend = urlMap && backends[refTo(urlMap.default_service, 'google_compute_backend_service') ?? ''];
    for (const b of backend?.backend ?? []) {
      const neg = negs[refTo(b.group, 'google_compute_region_network_endpoint_group') ?? ''];
      const serviceId = refTo(neg?.cloud_run?.service, 'google_cloud_run_v2_service');
      if (neg?.network_endpoint_type === 'SERVERLESS' && serviceId && services[serviceId]) {
        paths.push({ entry: 'load-balancer', service: services[serviceId].name, via: id });
      }
    }
  }
  return paths;
}

/** What Cloud Run answers a client on `path` holding `credential` (a token of a principal with run.routes.invoke). */
export function admits(json: TerraformJson, path: RequestPath, credential: Credential): Verdict {
  const [serviceId, service] = Object.entries(resources(json, 'google_cloud_run_v2_service')).find(([, s]) => s.name === path.service) ?? [];
  if (!service) return { ok: false, status: 404, why: `no service ${path.service}` };
  const ingress = service.ingress ?? 'INGRESS_TRAFFIC_ALL';
  const ingressAdmits: Record<Entry, string[]> = {
    'run.app': ['INGRESS_TRAFFIC_ALL'],
    'load-balancer': ['INGRESS_TRAFFIC_ALL', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'],
    vpc: ['INGRESS_TRAFFIC_ALL', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', 'INGRESS_TRAFFIC_INTERNAL_ONLY'],
  };
  if (!ingressAdmits[path.entry].includes(ingress)) return { ok: false, status: 404, why: `ingress ${ingress} refuses ${path.entry}` };

  if (service.invoker_iam_disabled === true) return { ok: true };
  const invokers = Object.values(resources(json, 'google_cloud_run_v2_service_iam_member'))
    .filter((m) => m.role === 'roles/run.invoker' && refTo(m.name, 'google_cloud_run_v2_service') === serviceId)
    .map((m) => m.member as string);
  if (invokers.includes('allUsers')) return { ok: true };
  if (path.entry === 'load-balancer') {
    const backend = Object.values(resources(json, 'google_compute_backend_service')).find((b) => path.via && b.iap?.enabled === true);
    if (backend && invokers.some((m) => /^serviceAccount:service-.+@gcp-sa-iap\.iam\.gserviceaccount\.com$/.test(m))) return { ok: true };
    // The load balancer forwards what the client sent; only a client that already holds a token passes.
  }
  if (credential === 'identity-token') return { ok: true };
  return { ok: false, status: 403, why: 'the IAM invoker check needs an identity token, and none was sent' };
}
