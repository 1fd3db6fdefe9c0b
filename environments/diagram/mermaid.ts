// Draws one synthesized stack (cdk.tf.json) as a Mermaid flowchart: a node per resource, grouped
// by area, and an edge per reference between resources. Pure: same JSON in, same text out.

/** The parts of a synthesized cdk.tf.json this reads. */
export interface StackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly [key: string]: unknown;
}

/** Areas in drawing order; `infra/<area>/` holds their constructs. */
export const AREAS = ['networking', 'security', 'storage', 'ai', 'compute', 'other'] as const;
export type Area = (typeof AREAS)[number];

const AREA_TITLES: Record<Area, string> = {
  networking: 'Networking',
  security: 'Security',
  storage: 'Storage',
  ai: 'AI',
  compute: 'Compute',
  other: 'Other',
};

/** The type every resource depends on; all of them become one node. */
export const PROJECT_SERVICE = 'google_project_service';
const PROJECT_SERVICES_ID = 'project_services';

// First match wins. Load-balancer parts are compute (infra/compute/https-load-balancer.ts).
const TYPE_AREAS: readonly [RegExp, Area][] = [
  [/^google_project_service$/, 'security'],
  [/_iam_(member|binding|policy)$/, 'security'],
  [/^google_(service_account|secret_manager_|kms_|iam_)/, 'security'],
  [/^google_vertex_ai_/, 'ai'],
  [/^google_(redis_|firestore_|storage_|sql_|memcache_|bigquery_|bigtable_|spanner_)/, 'storage'],
  [/^google_(cloud_run|cloudfunctions|artifact_registry_|container_|app_engine_)/, 'compute'],
  [
    /^google_compute_(backend_service|backend_bucket|url_map|target_https?_proxy|managed_ssl_certificate|ssl_policy|ssl_certificate|region_network_endpoint_group|security_policy|instance)/,
    'compute',
  ],
  [/^google_(compute_|service_networking_|dns_|vpc_access_)/, 'networking'],
];

// Types that serve whichever construct owns them (a load balancer's IP, a PSC endpoint's address):
// they take the area most of their construct's other resources have, else networking.
const SHARED_TYPES = /^google_compute_(global_)?(address|forwarding_rule)$/;

/** The area of a resource type, ignoring the construct that owns it. */
export function areaOfType(type: string): Area {
  for (const [pattern, area] of TYPE_AREAS) if (pattern.test(type)) return area;
  return 'other';
}

const TYPE_LABELS: Record<string, string> = {
  google_project_service: 'Project API',
  google_compute_network: 'VPC network',
  google_cloud_run_v2_service: 'Cloud Run service',
  google_cloud_run_v2_service_iam_member: 'Cloud Run IAM member',
  google_artifact_registry_repository: 'Artifact Registry repository',
  google_secret_manager_secret: 'Secret',
  google_secret_manager_secret_version: 'Secret version',
  google_secret_manager_secret_iam_member: 'Secret IAM member',
  google_vertex_ai_index: 'Vector Search index',
  google_vertex_ai_index_endpoint: 'Vector Search endpoint',
  google_vertex_ai_index_endpoint_deployed_index: 'Vector Search deployed index',
  google_firestore_database: 'Firestore database',
  google_service_networking_connection: 'Private services connection',
};

const WORDS: Record<string, string> = {
  ai: 'AI',
  api: 'API',
  dns: 'DNS',
  http: 'HTTP',
  https: 'HTTPS',
  iam: 'IAM',
  ip: 'IP',
  kms: 'KMS',
  nat: 'NAT',
  psc: 'PSC',
  redis: 'Redis',
  sql: 'SQL',
  ssl: 'SSL',
  url: 'URL',
  vertex: 'Vertex',
  vpc: 'VPC',
};

/** `google_redis_instance` → "Redis instance". */
export function typeLabel(type: string): string {
  const known = TYPE_LABELS[type];
  if (known) return known;
  const words = type
    .replace(/^google_/, '')
    .replace(/^compute_/, '')
    .split('_')
    .filter((w) => w !== '' && !/^v\d+$/.test(w))
    .map((w) => WORDS[w] ?? w);
  if (words.length === 0) return type;
  return words[0].charAt(0).toUpperCase() + words[0].slice(1) + (words.length > 1 ? ' ' + words.slice(1).join(' ') : '');
}

// Attributes that name a resource, in order of preference; only literals count.
const NAME_ATTRIBUTES = ['name', 'secret_id', 'account_id', 'display_name', 'repository_id', 'role'];

function isLiteral(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !value.includes('${');
}

/** The construct path below the stack (`network/vpc`), from cdktf's `//` metadata. */
function constructPath(resource: Record<string, unknown>): string | undefined {
  const meta = (resource['//'] as { metadata?: { path?: unknown } } | undefined)?.metadata;
  if (typeof meta?.path !== 'string') return undefined;
  const parts = meta.path.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : meta.path;
}

interface Node {
  readonly key: string; // type.name, as Terraform addresses it
  readonly type: string;
  readonly id: string;
  readonly label: string;
  area: Area;
  readonly component: string;
}

/** Mermaid ids: letters, digits and `_` only, never starting with a digit. */
export function mermaidId(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(id) ? id : `n_${id}`;
}

/** Text inside a quoted Mermaid label. */
function quote(text: string): string {
  return `"${text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every string anywhere in a JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

// `type.name` inside an interpolation; not preceded by `.` or a word character, so
// `data.google_x.y` and `var.x` attribute paths do not match (unknown addresses are dropped anyway).
const ADDRESS = /(?<![\w.])([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)/g;

/** Resource addresses (`type.name`) interpolated anywhere in a value. */
export function referencedAddresses(value: unknown): string[] {
  const found = new Set<string>();
  for (const s of strings(value)) {
    for (const expr of s.matchAll(/\$\{([\s\S]*?)\}/g)) {
      for (const m of expr[1].matchAll(ADDRESS)) found.add(`${m[1]}.${m[2]}`);
    }
  }
  return [...found];
}

/**
 * A Mermaid `flowchart LR` of a synthesized stack. Nodes are resources, in one subgraph per area;
 * solid edges are attribute references (`${type.name.attr}`), dashed edges are `depends_on`
 * only. The project services are one node and `depends_on` edges to them are left out.
 */
export function stackToMermaid(json: StackJson, title: string): string {
  const nodes = new Map<string, Node>();
  const usedIds = new Set<string>([PROJECT_SERVICES_ID]);
  let projectServices = 0;
  const entries = Object.entries(json.resource ?? {})
    .flatMap(([type, byName]) => Object.entries(byName ?? {}).map(([name, r]) => [type, name, r] as const))
    .sort(([t1, n1], [t2, n2]) => byString(`${t1}.${n1}`, `${t2}.${n2}`));

  for (const [type, name, resource] of entries) {
    const key = `${type}.${name}`;
    if (type === PROJECT_SERVICE) {
      projectServices++;
      continue;
    }
    const path = constructPath(resource);
    const attr = NAME_ATTRIBUTES.map((a) => resource[a]).find(isLiteral);
    const label = `${typeLabel(type)}: ${attr ?? path ?? name}`;
    // `google_compute_network.network_vpc_4E8F0223` → `compute_network__network_vpc`
    const base = `${type.replace(/^google_/, '')}__${name.replace(/_[0-9A-F]{8}$/, '')}`;
    let id = mermaidId(base);
    for (let i = 2; usedIds.has(id); i++) id = mermaidId(`${base}_${i}`);
    usedIds.add(id);
    nodes.set(key, { key, type, id, label, area: areaOfType(type), component: path?.split('/')[0] ?? '' });
  }

  // Shared types join their construct's area.
  for (const node of nodes.values()) {
    if (!SHARED_TYPES.test(node.type) || node.component === '') continue;
    const counts = new Map<Area, number>();
    for (const other of nodes.values()) {
      if (other.component !== node.component || SHARED_TYPES.test(other.type) || /_iam_/.test(other.type)) continue;
      counts.set(other.area, (counts.get(other.area) ?? 0) + 1);
    }
    const best = [...counts].sort(([a1, c1], [a2, c2]) => c2 - c1 || AREAS.indexOf(a1) - AREAS.indexOf(a2))[0];
    if (best) node.area = best[0];
  }

  const idOf = (address: string): string | undefined =>
    address.startsWith(`${PROJECT_SERVICE}.`) ? (projectServices > 0 ? PROJECT_SERVICES_ID : undefined) : nodes.get(address)?.id;

  const references = new Set<string>();
  const dependencies = new Set<string>();
  for (const [type, name, resource] of entries) {
    const from = idOf(`${type}.${name}`);
    if (!from) continue;
    const { depends_on: dependsOn, '//': _meta, ...attributes } = resource;
    for (const address of referencedAddresses(attributes)) {
      const to = idOf(address);
      if (to && to !== from) references.add(`${from} --> ${to}`);
    }
    for (const address of Array.isArray(dependsOn) ? dependsOn : []) {
      if (typeof address !== 'string' || address.startsWith(`${PROJECT_SERVICE}.`)) continue;
      const to = idOf(address);
      if (to && to !== from) dependencies.add(`${from} -.-> ${to}`);
    }
  }
  const edges = [
    ...references,
    ...[...dependencies].filter((e) => !references.has(e.replace(' -.-> ', ' --> '))),
  ].sort((a, b) => byString(a.replace(' -.-> ', ' --> '), b.replace(' -.-> ', ' --> ')));

  const lines = ['---', `title: ${title}`, '---', 'flowchart LR'];
  for (const area of AREAS) {
    const members = [...nodes.values()].filter((n) => n.area === area).sort((a, b) => byString(a.id, b.id));
    const services = area === 'security' && projectServices > 0;
    if (members.length === 0 && !services) continue;
    lines.push(`  subgraph ${area}[${quote(AREA_TITLES[area])}]`);
    if (services) lines.push(`    ${PROJECT_SERVICES_ID}[${quote(`Project APIs: ${projectServices} services`)}]`);
    for (const n of members) lines.push(`    ${n.id}[${quote(n.label)}]`);
    lines.push('  end');
  }
  for (const e of edges) lines.push(`  ${e}`);
  return lines.join('\n') + '\n';
}
