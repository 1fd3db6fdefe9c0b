import * as fs from 'node:fs';
import { StackJson, areaOfType, mermaidId, stackToMermaid, typeLabel } from '../../environments/diagram/mermaid';
import { README, expectedSection, readSection, writeSection } from '../../environments/diagram/readme';

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

describe('README diagrams', () => {
  it('are what the code synthesizes now (run `npm run diagram` after changing a stack)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const expected = expectedSection();
    expect(expected).toMatch(/^### orchestra-dev\n/);
    expect(readSection(readme)).toBe(expected);
    expect(writeSection(readme, expected)).toBe(readme);
  });
});
