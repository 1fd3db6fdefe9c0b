// Draws one synthesized stack (cdk.tf.json) as a Mermaid flowchart: resources as nodes, in one
// subgraph per area, and an edge per reference between them. Repeated resources are grouped so a
// picture reads at a glance (see `drawStack`). Pure: same JSON in, same text out.

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

// First match wins. Load-balancer parts are compute (infra/src/compute/https-load-balancer.ts).
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

/** Mermaid ids: letters, digits and `_` only, never starting with a digit. */
export function mermaidId(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(id) ? id : `n_${id}`;
}

/** A quoted Mermaid label; each line escaped, lines joined by `<br/>`. */
function quote(...lines: readonly string[]): string {
  const escape = (text: string) => text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  return `"${lines.map(escape).join('<br/>')}"`;
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

/** IAM grants: one principal (or member list) given one role on one resource. */
const GRANT = /_iam_(member|binding)$/;

/** One resource of the stack, before grouping. */
interface Resource {
  readonly key: string; // type.name, as Terraform addresses it
  readonly type: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
  /** Its literal name, else its construct path, else its Terraform name. */
  readonly title: string;
  /** The construct below the stack that owns it (`network`), '' when unknown. */
  readonly component: string;
  area: Area;
}

/** A drawn node: one resource, a group of grants, or a resource with its attachments. */
interface Node {
  readonly id: string;
  readonly area: Area;
  readonly component: string;
  /** An IAM grant or a group of them; grants never take attachments nor become one. */
  readonly grant: boolean;
  readonly lines: string[];
}

/** What `drawStack` drew. */
export interface StackDiagram {
  /** The `flowchart LR`, ending in a newline. */
  readonly mermaid: string;
  /** Resources in the stack, project services included. */
  readonly resources: number;
  /** Nodes drawn, the project services' one included. */
  readonly nodes: number;
  /** The node that draws each resource, by address (`type.name`); project services excluded. */
  readonly nodeOf: ReadonlyMap<string, string>;
}

// A member that is exactly one service account: `${google_service_account.x.member}` or
// `serviceAccount:${google_service_account.x.email}`.
const ACCOUNT_MEMBER = /^(?:\$\{([a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)\.member\}|serviceAccount:\$\{([a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)\.email\})$/;

/** The role of a grant without `roles/`; a computed role shows as such. */
function roleTitle(role: unknown): string {
  return isLiteral(role) ? role.replace(/^roles\//, '') : '(computed role)';
}

/** `a, b, c` packed into lines of about `width` characters. */
function packLines(items: readonly string[], width = 60): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 2 + item.length <= width) lines[last] += `, ${item}`;
    else lines.push(item);
  }
  return lines;
}

/**
 * A Mermaid `flowchart LR` of a synthesized stack, and how many resources and nodes it holds.
 *
 * Nodes are resources, in one subgraph per area; solid edges are attribute references
 * (`${type.name.attr}`), dashed edges are `depends_on` only, one edge per pair of nodes. To keep
 * the picture readable, and without hiding a resource type or a reference between constructs:
 * - the project services are one node, and `depends_on` edges to it are left out;
 * - IAM grants of one type to one principal (e.g. a service account's project roles) are one node
 *   naming the principal, the count and the roles, with the edges of all of them;
 * - a resource linked to nothing but one other resource of its own construct (a firewall to its
 *   network, a certificate to its proxy) is drawn inside that resource's node, on a `+` line.
 */
export function drawStack(json: StackJson, title: string): StackDiagram {
  let projectServices = 0;
  const resources = new Map<string, Resource>();
  const entries = Object.entries(json.resource ?? {})
    .flatMap(([type, byName]) => Object.entries(byName ?? {}).map(([name, body]) => [type, name, body] as const))
    .sort(([t1, n1], [t2, n2]) => byString(`${t1}.${n1}`, `${t2}.${n2}`));
  for (const [type, name, body] of entries) {
    if (type === PROJECT_SERVICE) {
      projectServices++;
      continue;
    }
    const path = constructPath(body);
    const literal = NAME_ATTRIBUTES.map((a) => body[a]).find(isLiteral);
    const key = `${type}.${name}`;
    resources.set(key, {
      key,
      type,
      name,
      body,
      title: literal ?? path ?? name,
      component: path?.split('/')[0] ?? '',
      area: areaOfType(type),
    });
  }

  // Shared types join their construct's area.
  for (const r of resources.values()) {
    if (!SHARED_TYPES.test(r.type) || r.component === '') continue;
    const counts = new Map<Area, number>();
    for (const other of resources.values()) {
      if (other.component !== r.component || SHARED_TYPES.test(other.type) || /_iam_/.test(other.type)) continue;
      counts.set(other.area, (counts.get(other.area) ?? 0) + 1);
    }
    const best = [...counts].sort(([a1, c1], [a2, c2]) => c2 - c1 || AREAS.indexOf(a1) - AREAS.indexOf(a2))[0];
    if (best) r.area = best[0];
  }

  // Grants by type and principal.
  const principalOf = (r: Resource): string | undefined => {
    const member = r.body.member ?? (Array.isArray(r.body.members) ? [...r.body.members].map(String).sort().join(', ') : undefined);
    if (typeof member !== 'string' || member === '') return undefined;
    const m = ACCOUNT_MEMBER.exec(member);
    const account = m?.[1] ?? m?.[2];
    return account && resources.has(account) ? account : member;
  };
  const principalTitle = (principal: string): string =>
    resources.get(principal)?.title ??
    principal.replace(/\$\{([\s\S]*?)\}/g, (whole, expr: string) => {
      const known = [...expr.matchAll(ADDRESS)].map((m) => resources.get(`${m[1]}.${m[2]}`)).find((x) => x);
      return known ? known.title : whole;
    });
  const grants = new Map<string, Resource[]>();
  for (const r of resources.values()) {
    const principal = GRANT.test(r.type) ? principalOf(r) : undefined;
    if (principal === undefined) continue;
    const group = `${r.type} ${principal}`;
    grants.set(group, [...(grants.get(group) ?? []), r]);
  }

  // One node per resource or group of grants; ids in address order, so they do not depend on the JSON's order.
  const nodes = new Map<string, Node>();
  const owner = new Map<string, string>(); // resource key → node id
  const usedIds = new Set<string>([PROJECT_SERVICES_ID]);
  const newId = (base: string): string => {
    let id = mermaidId(base);
    for (let i = 2; usedIds.has(id); i++) id = mermaidId(`${base}_${i}`);
    usedIds.add(id);
    return id;
  };
  const shortName = (name: string) => name.replace(/_[0-9A-F]{8}$/, '');
  for (const r of resources.values()) {
    if (owner.has(r.key)) continue;
    const principal = GRANT.test(r.type) ? principalOf(r) : undefined;
    const members = principal === undefined ? [r] : grants.get(`${r.type} ${principal}`)!;
    if (members.length > 1) {
      const slug = resources.has(principal!) ? shortName(resources.get(principal!)!.name) : principal!;
      const id = newId(`${r.type.replace(/^google_/, '')}__${slug}`);
      const roles = new Map<string, number>();
      for (const g of members) roles.set(roleTitle(g.body.role), (roles.get(roleTitle(g.body.role)) ?? 0) + 1);
      const kind = roles.size === members.length ? 'roles' : 'grants';
      const head = `${typeLabel(r.type).replace(/ (member|binding)$/, '')}: ${principalTitle(principal!)} — ${members.length} ${kind}`;
      const list = [...roles].sort(([a], [b]) => byString(a, b)).map(([role, n]) => (n > 1 ? `${role} ×${n}` : role));
      nodes.set(id, { id, area: areaOfType(r.type), component: '', grant: true, lines: [head, ...packLines(list)] });
      for (const g of members) owner.set(g.key, id);
      continue;
    }
    // `google_compute_network.network_vpc_4E8F0223` → `compute_network__network_vpc`
    const id = newId(`${r.type.replace(/^google_/, '')}__${shortName(r.name)}`);
    nodes.set(id, { id, area: r.area, component: r.component, grant: GRANT.test(r.type), lines: [`${typeLabel(r.type)}: ${r.title}`] });
    owner.set(r.key, id);
  }

  // Links between nodes, as `from to`: attribute references, and depends_on that is not one.
  const link = () => {
    const idOf = (address: string): string | undefined =>
      address.startsWith(`${PROJECT_SERVICE}.`) ? (projectServices > 0 ? PROJECT_SERVICES_ID : undefined) : owner.get(address);
    const references = new Set<string>();
    const dependencies = new Set<string>();
    for (const r of resources.values()) {
      const from = owner.get(r.key)!;
      const { depends_on: dependsOn, '//': _meta, ...attributes } = r.body;
      for (const address of referencedAddresses(attributes)) {
        const to = idOf(address);
        if (to && to !== from) references.add(`${from} ${to}`);
      }
      for (const address of Array.isArray(dependsOn) ? dependsOn : []) {
        if (typeof address !== 'string' || address.startsWith(`${PROJECT_SERVICE}.`)) continue;
        const to = idOf(address);
        if (to && to !== from) dependencies.add(`${from} ${to}`);
      }
    }
    for (const pair of references) dependencies.delete(pair);
    return { references, dependencies };
  };

  // Attachments: a resource whose only link is to one other resource of its construct.
  const neighbours = new Map<string, Set<string>>();
  const { references: refs, dependencies: deps } = link();
  for (const pair of [...refs, ...deps]) {
    const [a, b] = pair.split(' ');
    neighbours.set(a, (neighbours.get(a) ?? new Set()).add(b));
    neighbours.set(b, (neighbours.get(b) ?? new Set()).add(a));
  }
  const hosts = new Set<string>();
  const attached = new Set<string>();
  for (const node of [...nodes.values()].sort((a, b) => byString(a.id, b.id))) {
    const only = neighbours.get(node.id);
    if (node.grant || node.component === '' || only?.size !== 1) continue;
    const host = nodes.get([...only][0]);
    if (!host || host.grant || host.component !== node.component || attached.has(host.id) || hosts.has(node.id)) continue;
    host.lines.push(...node.lines.map((l) => `+ ${l}`));
    for (const [key, id] of owner) if (id === node.id) owner.set(key, host.id);
    nodes.delete(node.id);
    hosts.add(host.id);
    attached.add(node.id);
  }

  const { references, dependencies } = attached.size > 0 ? link() : { references: refs, dependencies: deps };
  const edges = [
    ...[...references].map((pair) => [pair, pair.replace(' ', ' --> ')]),
    ...[...dependencies].map((pair) => [pair, pair.replace(' ', ' -.-> ')]),
  ]
    .sort(([a], [b]) => byString(a, b))
    .map(([, line]) => line);

  const lines = ['---', `title: ${title}`, '---', 'flowchart LR'];
  for (const area of AREAS) {
    const members = [...nodes.values()].filter((n) => n.area === area).sort((a, b) => byString(a.id, b.id));
    const services = area === 'security' && projectServices > 0;
    if (members.length === 0 && !services) continue;
    lines.push(`  subgraph ${area}[${quote(AREA_TITLES[area])}]`);
    if (services) lines.push(`    ${PROJECT_SERVICES_ID}[${quote(`Project APIs: ${projectServices} services`)}]`);
    for (const n of members) lines.push(`    ${n.id}[${quote(...n.lines)}]`);
    lines.push('  end');
  }
  for (const e of edges) lines.push(`  ${e}`);
  return {
    mermaid: lines.join('\n') + '\n',
    resources: resources.size + projectServices,
    nodes: nodes.size + (projectServices > 0 ? 1 : 0),
    nodeOf: owner,
  };
}

/** The flowchart `drawStack` draws. */
export function stackToMermaid(json: StackJson, title: string): string {
  return drawStack(json, title).mermaid;
}
