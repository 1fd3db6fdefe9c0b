import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DOCUMENT, readDocument, renderDocument, staleness, synthesizeStacks } from '../../environments/diagram/document';
import {
  PROJECT_SERVICE,
  StackJson,
  areaOfType,
  drawStack,
  mermaidId,
  referencedAddresses,
  stackToMermaid,
  typeLabel,
} from '../../environments/diagram/mermaid';

const meta = (path: string) => ({ metadata: { path: `demo/${path}`, uniqueId: path.replace(/\W/g, '_') } });
const SERVICES = ['google_project_service.services_compute_1A2B3C4D', 'google_project_service.services_redis_5E6F7A8B'];

/** A small stack in the shape cdktf synthesizes. */
function demoStack(): StackJson {
  return {
    '//': { metadata: { stackName: 'demo' } },
    resource: {
      google_redis_instance: {
        cache_instance_0A0B0C0D: {
          '//': meta('cache/instance'),
          name: 'demo-cache',
          authorized_network: '${google_compute_network.network_vpc_11111111.id}',
          depends_on: ['google_service_networking_connection.network_psc_22222222', ...SERVICES],
        },
      },
      google_compute_network: {
        network_vpc_11111111: { '//': meta('network/vpc'), name: 'demo-vpc', depends_on: SERVICES },
      },
      google_service_networking_connection: {
        network_psc_22222222: {
          '//': meta('network/psc'),
          network: '${google_compute_network.network_vpc_11111111.id}',
          depends_on: ['google_compute_network.network_vpc_11111111', ...SERVICES],
        },
      },
      google_secret_manager_secret_iam_member: {
        'api-keys_read_33333333': {
          '//': meta('api-keys/read'),
          secret_id: '${google_secret_manager_secret.api-keys_secret_44444444.id}',
          member: 'serviceAccount:${google_service_account.identity_account_55555555.email}',
        },
      },
      google_secret_manager_secret: {
        'api-keys_secret_44444444': { '//': meta('api-keys/secret'), secret_id: 'demo-keys', project: '${var.project}' },
      },
      google_service_account: {
        identity_account_55555555: { '//': meta('identity/account'), account_id: 'demo-runtime', display_name: 'Demo' },
      },
      google_cloud_run_v2_service: {
        runtime_service_66666666: {
          '//': meta('runtime/service'),
          name: '${var.service_name}',
          template: {
            service_account: '${google_service_account.identity_account_55555555.email}',
            containers: [{ env: [{ name: 'REDIS', value: '${google_redis_instance.cache_instance_0A0B0C0D.host}:${google_redis_instance.cache_instance_0A0B0C0D.port}' }] }],
          },
          depends_on: ['google_secret_manager_secret_iam_member.api-keys_read_33333333', 'google_redis_instance.cache_instance_0A0B0C0D'],
        },
      },
      google_project_service: {
        services_compute_1A2B3C4D: { '//': meta('services/compute'), service: 'compute.googleapis.com' },
        services_redis_5E6F7A8B: { '//': meta('services/redis'), service: 'redis.googleapis.com' },
      },
    },
  };
}

describe('stackToMermaid', () => {
  const text = stackToMermaid(demoStack(), 'demo');
  const lines = text.split('\n');

  it('is a titled flowchart', () => {
    expect(lines.slice(0, 4)).toEqual(['---', 'title: demo', '---', 'flowchart LR']);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('draws one node per resource, labelled by type and literal name, grouped by area', () => {
    expect(text).toContain(
      [
        '  subgraph networking["Networking"]',
        '    compute_network__network_vpc["VPC network: demo-vpc"]',
        '    service_networking_connection__network_psc["Private services connection: network/psc"]',
        '  end',
        '  subgraph security["Security"]',
        '    project_services["Project APIs: 2 services"]',
        '    secret_manager_secret__api_keys_secret["Secret: demo-keys"]',
        '    secret_manager_secret_iam_member__api_keys_read["Secret IAM member: api-keys/read"]',
        '    service_account__identity_account["Service account: demo-runtime"]',
        '  end',
        '  subgraph storage["Storage"]',
        '    redis_instance__cache_instance["Redis instance: demo-cache"]',
        '  end',
        '  subgraph compute["Compute"]',
        '    cloud_run_v2_service__runtime_service["Cloud Run service: runtime/service"]',
        '  end',
      ].join('\n'),
    );
    expect(text).not.toContain('subgraph ai');
  });

  it('draws references as solid edges and depends_on-only as dashed edges, sorted', () => {
    expect(lines.filter((l) => /-->|-\.->/.test(l))).toEqual([
      '  cloud_run_v2_service__runtime_service --> redis_instance__cache_instance',
      '  cloud_run_v2_service__runtime_service -.-> secret_manager_secret_iam_member__api_keys_read',
      '  cloud_run_v2_service__runtime_service --> service_account__identity_account',
      '  redis_instance__cache_instance --> compute_network__network_vpc',
      '  redis_instance__cache_instance -.-> service_networking_connection__network_psc',
      '  secret_manager_secret_iam_member__api_keys_read --> secret_manager_secret__api_keys_secret',
      '  secret_manager_secret_iam_member__api_keys_read --> service_account__identity_account',
      '  service_networking_connection__network_psc --> compute_network__network_vpc',
    ]);
  });

  it('collapses the project services into one node with no depends_on edges to it', () => {
    expect(text).not.toContain('services_compute');
    expect(text).not.toContain('services_redis');
    expect(lines.filter((l) => l.includes('project_services'))).toEqual(['    project_services["Project APIs: 2 services"]']);
    // A real attribute reference to a project service still shows.
    const json = demoStack();
    (json.resource!.google_compute_network.network_vpc_11111111 as Record<string, unknown>).description =
      'after ${google_project_service.services_compute_1A2B3C4D.id}';
    expect(stackToMermaid(json, 'demo')).toContain('  compute_network__network_vpc --> project_services\n');
  });

  it('is deterministic: the order of the JSON does not matter', () => {
    const json = demoStack();
    const reversed: StackJson = {
      resource: Object.fromEntries(
        Object.entries(json.resource!)
          .reverse()
          .map(([type, byName]) => [type, Object.fromEntries(Object.entries(byName).reverse())]),
      ),
    };
    expect(stackToMermaid(reversed, 'demo')).toBe(text);
    expect(stackToMermaid(demoStack(), 'demo')).toBe(text);
  });

  it('keeps ids and labels Mermaid-safe', () => {
    expect(mermaidId('a-b.c/d')).toBe('a_b_c_d');
    expect(mermaidId('1abc')).toBe('n_1abc');
    const json: StackJson = { resource: { google_storage_bucket: { 'x-y': { name: 'say "hi" <b>#1' } } } };
    expect(stackToMermaid(json, 't')).toContain('storage_bucket__x_y["Storage bucket: say #quot;hi#quot; #lt;b#gt;#35;1"]');
    for (const line of lines.filter((l) => l.startsWith('    '))) expect(line).toMatch(/^ {4}[A-Za-z][A-Za-z0-9_]*\["[^"]*"\]$/);
  });

  it('puts addresses and forwarding rules in the area of the construct that owns them', () => {
    const json: StackJson = {
      resource: {
        google_compute_global_address: {
          lb_address_1: { '//': meta('lb/address'), name: 'lb-ip' },
          network_range_2: { '//': meta('network/range'), name: 'range' },
        },
        google_compute_url_map: { lb_map_3: { '//': meta('lb/map'), name: 'map' } },
        google_compute_network: { network_vpc_4: { '//': meta('network/vpc'), name: 'vpc' } },
        google_compute_address: { search_psc_5: { '//': meta('search/psc'), name: 'psc' } },
        google_vertex_ai_index_endpoint: { search_endpoint_6: { '//': meta('search/endpoint'), display_name: 'ep' } },
      },
    };
    const areaOf = (id: string, out: string) => {
      const before = out.slice(0, out.indexOf(`    ${id}[`));
      return before.slice(before.lastIndexOf('subgraph ')).split('[')[0].slice('subgraph '.length);
    };
    const out = stackToMermaid(json, 't');
    expect(areaOf('compute_global_address__lb_address_1', out)).toBe('compute');
    expect(areaOf('compute_global_address__network_range_2', out)).toBe('networking');
    expect(areaOf('compute_address__search_psc_5', out)).toBe('ai');
  });

  it('labels and places types it has no table entry for', () => {
    expect(typeLabel('google_redis_instance')).toBe('Redis instance');
    expect(typeLabel('google_compute_target_https_proxy')).toBe('Target HTTPS proxy');
    expect(areaOfType('google_vertex_ai_index')).toBe('ai');
    expect(areaOfType('google_compute_url_map')).toBe('compute');
    expect(areaOfType('google_compute_router')).toBe('networking');
    expect(areaOfType('google_pubsub_topic')).toBe('other');
  });
});

/** A deployer and a runtime account with the grants the kit gives them, and a service using them. */
function grantsStack(): StackJson {
  const deployer = '${google_service_account.deployer_account_AAAAAAAA.member}';
  const runtime = 'serviceAccount:${google_service_account.runtime_account_BBBBBBBB.email}';
  const projectRole = (role: string) => ({ '//': meta(`deployer/${role}`), project: 'p', role: `roles/${role}`, member: deployer });
  const secretRead = (secret: string) => ({
    '//': meta(`${secret}/read`),
    secret_id: `\${google_secret_manager_secret.${secret}_secret_CCCCCCCC.id}`,
    role: 'roles/secretmanager.secretAccessor',
    member: runtime,
  });
  return {
    resource: {
      google_service_account: {
        deployer_account_AAAAAAAA: { '//': meta('deployer/account'), account_id: 'demo-deployer' },
        runtime_account_BBBBBBBB: { '//': meta('runtime/account'), account_id: 'demo-runtime' },
      },
      google_project_iam_member: {
        'deployer_run-admin_11111111': projectRole('run.admin'),
        'deployer_redis-admin_22222222': projectRole('redis.admin'),
        'deployer_datastore-owner_33333333': projectRole('datastore.owner'),
        // Another principal: a group of its own (here of one, drawn as before).
        'runtime_datastore-user_44444444': {
          '//': meta('runtime/datastore-user'),
          role: 'roles/datastore.user',
          member: '${google_service_account.runtime_account_BBBBBBBB.member}',
        },
      },
      google_secret_manager_secret: {
        keys_secret_CCCCCCCC: { '//': meta('keys/secret'), secret_id: 'demo-keys' },
        llm_secret_CCCCCCCC: { '//': meta('llm/secret'), secret_id: 'demo-llm' },
      },
      google_secret_manager_secret_iam_member: {
        keys_read_55555555: secretRead('keys'),
        llm_read_66666666: secretRead('llm'),
      },
      google_cloud_run_v2_service: {
        runtime_service_77777777: {
          '//': meta('runtime/service'),
          name: 'demo',
          template: { service_account: '${google_service_account.runtime_account_BBBBBBBB.email}' },
          // A reference to one grant and depends_on both: one solid edge to their group.
          annotations: { read: '${google_secret_manager_secret_iam_member.keys_read_55555555.etag}' },
          depends_on: ['google_secret_manager_secret_iam_member.keys_read_55555555', 'google_secret_manager_secret_iam_member.llm_read_66666666'],
        },
      },
    },
  };
}

describe('grouping', () => {
  const diagram = drawStack(grantsStack(), 'grants');
  const lines = diagram.mermaid.split('\n');
  const edges = lines.filter((l) => /-->|-\.->/.test(l));

  it('collapses grants of one type to one principal into one node naming the principal, the count and the roles', () => {
    expect(lines).toContain('    project_iam_member__deployer_account["Project IAM: demo-deployer — 3 roles<br/>datastore.owner, redis.admin, run.admin"]');
    expect(lines).toContain('    secret_manager_secret_iam_member__runtime_account["Secret IAM: demo-runtime — 2 grants<br/>secretmanager.secretAccessor ×2"]');
    // The only grant of its type to the runtime account is drawn as one resource.
    expect(lines).toContain('    project_iam_member__runtime_datastore_user["Project IAM member: roles/datastore.user"]');
    expect(diagram.mermaid).not.toMatch(/deployer_(run|redis|datastore)_/);
    expect(diagram.nodes).toBe(8);
    expect(diagram.resources).toBe(11);
    for (const name of ['deployer_run-admin_11111111', 'deployer_redis-admin_22222222', 'deployer_datastore-owner_33333333']) {
      expect(diagram.nodeOf.get(`google_project_iam_member.${name}`)).toBe('project_iam_member__deployer_account');
    }
  });

  it('keeps the edges of grouped grants, one per pair of nodes, solid over dashed', () => {
    expect(edges).toEqual([
      '  cloud_run_v2_service__runtime_service --> secret_manager_secret_iam_member__runtime_account',
      '  cloud_run_v2_service__runtime_service --> service_account__runtime_account',
      '  project_iam_member__deployer_account --> service_account__deployer_account',
      '  project_iam_member__runtime_datastore_user --> service_account__runtime_account',
      '  secret_manager_secret_iam_member__runtime_account --> secret_manager_secret__keys_secret',
      '  secret_manager_secret_iam_member__runtime_account --> secret_manager_secret__llm_secret',
      '  secret_manager_secret_iam_member__runtime_account --> service_account__runtime_account',
    ]);
    // Without the attribute reference the service only depends on the group: one dashed edge.
    const json = grantsStack();
    delete (json.resource!.google_cloud_run_v2_service.runtime_service_77777777 as Record<string, unknown>).annotations;
    expect(stackToMermaid(json, 'grants')).toContain(
      '  cloud_run_v2_service__runtime_service -.-> secret_manager_secret_iam_member__runtime_account\n  cloud_run_v2_service__runtime_service --> service_account__runtime_account\n',
    );
  });

  it('does not group grants of different types, or to different principals', () => {
    const json = grantsStack();
    json.resource!.google_service_account_iam_member = {
      deployer_sa_88888888: {
        '//': meta('deployer/sa'),
        service_account_id: '${google_service_account.runtime_account_BBBBBBBB.name}',
        role: 'roles/iam.serviceAccountUser',
        member: '${google_service_account.deployer_account_AAAAAAAA.member}',
      },
    };
    (json.resource!.google_project_iam_member['deployer_run-admin_11111111'] as Record<string, unknown>).member = 'user:ops@example.com';
    const out = stackToMermaid(json, 'grants');
    expect(out).toContain('    project_iam_member__deployer_account["Project IAM: demo-deployer — 2 roles<br/>datastore.owner, redis.admin"]');
    expect(out).toContain('    project_iam_member__deployer_run_admin["Project IAM member: roles/run.admin"]');
    expect(out).toContain('    service_account_iam_member__deployer_sa["Service account IAM member: roles/iam.serviceAccountUser"]');
  });

  it('draws a resource linked only to one other resource of its construct inside that node', () => {
    const json: StackJson = {
      resource: {
        google_compute_network: { network_vpc_1: { '//': meta('network/vpc'), name: 'vpc' } },
        google_compute_firewall: {
          network_deny_2: { '//': meta('network/deny'), name: 'deny', network: '${google_compute_network.network_vpc_1.id}' },
          // Another construct's firewall: a reference between constructs stays an edge.
          other_allow_3: { '//': meta('other/allow'), name: 'allow', network: '${google_compute_network.network_vpc_1.id}' },
        },
        google_compute_subnetwork: {
          // Linked to the network and to the other firewall: drawn on its own.
          network_subnet_4: {
            '//': meta('network/subnet'),
            name: 'subnet',
            network: '${google_compute_network.network_vpc_1.id}',
            depends_on: ['google_compute_firewall.other_allow_3'],
          },
        },
      },
    };
    const diagram = drawStack(json, 't');
    expect(diagram.mermaid).toContain('    compute_network__network_vpc_1["VPC network: vpc<br/>+ Firewall: deny"]');
    expect(diagram.mermaid).toContain('    compute_firewall__other_allow_3["Firewall: allow"]');
    expect(diagram.mermaid).toContain('    compute_subnetwork__network_subnet_4["Subnetwork: subnet"]');
    expect(diagram.mermaid.split('\n').filter((l) => /-->|-\.->/.test(l))).toEqual([
      '  compute_firewall__other_allow_3 --> compute_network__network_vpc_1',
      '  compute_subnetwork__network_subnet_4 -.-> compute_firewall__other_allow_3',
      '  compute_subnetwork__network_subnet_4 --> compute_network__network_vpc_1',
    ]);
    expect(diagram.nodeOf.get('google_compute_firewall.network_deny_2')).toBe('compute_network__network_vpc_1');
    expect(diagram.nodes).toBe(3);
  });
});

describe('docs/environments.md', () => {
  let stacks: Map<string, StackJson>;
  beforeAll(() => {
    stacks = synthesizeStacks();
  });

  it('is what the code synthesizes now (run `npm run diagram` after changing a stack)', () => {
    const expected = renderDocument(stacks);
    expect(expected).toMatch(/^# Environments\n/);
    expect(expected).toMatch(/\n## orchestra-dev\n/);
    expect(expected).toContain('Generated by `npm run diagram`');
    expect(staleness(readDocument(), expected)).toBeUndefined();
    expect(readDocument()).toBe(expected);
  });

  it('fails the check when the document is stale or missing', () => {
    const expected = renderDocument(stacks);
    expect(staleness(expected, expected)).toBeUndefined();
    expect(staleness(undefined, expected)).toBe('is missing');
    expect(readDocument(path.join(os.tmpdir(), 'orchestra-no-such-document.md'))).toBeUndefined();
    // A document drawn before a stack changed: a resource more in dev.
    const changed = new Map(stacks);
    const dev = structuredClone(changed.get('orchestra-dev')!) as StackJson & { resource: Record<string, Record<string, unknown>> };
    dev.resource.google_pubsub_topic = { events_topic_12345678: { name: 'orchestra-events' } };
    changed.set('orchestra-dev', dev);
    const stale = renderDocument(changed);
    expect(stale).not.toBe(expected);
    expect(staleness(stale, expected)).toMatch(/^differs from what the code synthesizes, first at line \d+: /);
    // A hand edit, and a truncated file.
    expect(staleness(expected.replace('## orchestra-prod', '## prod'), expected)).toMatch(/"## prod", expected "## orchestra-prod"$/);
    expect(staleness(expected.slice(0, expected.indexOf('## orchestra-staging')), expected)).toMatch(/^differs/);
    expect(fs.existsSync(DOCUMENT)).toBe(true);
  });

  it('keeps every resource type and every reference between constructs of the real stacks', () => {
    for (const [name, json] of stacks) {
      const { mermaid, nodeOf, nodes } = drawStack(json, name);
      expect(nodes).toBeLessThan(45); // readable at a glance (prod: 40, with the planner identity and the edge policy)
      const edges = new Set(mermaid.split('\n').filter((l) => /-->|-\.->/.test(l)).map((l) => l.trim().replace(' -.-> ', ' --> ')));
      const component = (r: Record<string, unknown>) =>
        String((r['//'] as { metadata: { path: string } }).metadata.path).split('/')[1];
      for (const [type, byName] of Object.entries(json.resource ?? {})) {
        expect(mermaid).toContain(type === PROJECT_SERVICE ? 'Project APIs:' : typeLabel(type).replace(/ (member|binding)$/, ''));
        for (const [resourceName, resource] of Object.entries(byName)) {
          if (type === PROJECT_SERVICE) continue;
          const from = nodeOf.get(`${type}.${resourceName}`)!;
          const { depends_on: dependsOn, ...attributes } = resource as Record<string, unknown>;
          const targets = [...referencedAddresses(attributes), ...(Array.isArray(dependsOn) ? (dependsOn as string[]) : [])];
          for (const address of targets) {
            const [targetType, targetName] = address.split('.');
            const target = json.resource?.[targetType]?.[targetName];
            if (!target || targetType === PROJECT_SERVICE || component(target) === component(resource)) continue;
            expect(edges).toContain(`${from} --> ${nodeOf.get(address)}`);
          }
        }
      }
    }
  });
});
