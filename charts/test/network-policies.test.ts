import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, OUTSIDERS, PROBES, cloudNativePgOperatorOf, clusterModel, edgePodOf, kubernetesApiServerOf, manifestsOf, nodePortClientOf, objectStoreOf, variantName } from './natter-cluster.js';
import { connectivityTable, formatAllowed, podTemplates } from '@natter/kube-check';
import type { NatterProfile } from '../src/profiles.js';

const MESH_CONTROL_PLANE = [
  'linkerd/linkerd-identity:8080/TCP',
  'linkerd/linkerd-destination:8086/TCP',
  'linkerd/linkerd-destination:8090/TCP',
];
const DNS = ['kube-system/coredns:53/UDP', 'kube-system/coredns:53/TCP'];

/** The resolvers every pod may query: kube-dns, and NodeLocal DNSCache when the profile has it. */
function dnsOf(profile: NatterProfile): string[] {
  const cache = profile.dns.nodeLocalCache;
  const nodeLocal = cache === undefined || cache.port !== 53 ? [] : [`${cache.address}:53/UDP`, `${cache.address}:53/TCP`];
  return [...DNS, ...nodeLocal];
}

/** What every pod may send: DNS and the Linkerd control plane (the proxy needs both). */
function meshBaseline(from: string, profile: NatterProfile): string[] {
  return [...dnsOf(profile), ...MESH_CONTROL_PLANE].map((target) => `natter-api/${from} -> ${target}`);
}

/** Where the instances send WAL and base backups: the object store's ranges, or public addresses only. */
function objectStoreFlows(profile: NatterProfile): string[] {
  const backup = profile.database.cloudNativePg?.backup;
  if (backup === undefined) return [];
  const port = backup.endpointUrl === undefined || new URL(backup.endpointUrl).port === '' ? 443 : Number(new URL(backup.endpointUrl).port);
  const targets = backup.endpointCidrs === undefined ? [OUTSIDERS.publicV4.ip, OUTSIDERS.publicV6.ip] : [objectStoreOf(profile)!.ip];
  return targets.map((target) => `${target}:${port}/TCP`);
}

/**
 * The database's own flows: a meshed StatefulSet talks to nothing but DNS and the mesh and is
 * reached through the proxy (4143); CloudNativePG instances are reached directly on 5432 (TLS),
 * replicate and check each other (5432, 8000), answer the operator (5432, 8000) and call the
 * Kubernetes API server.
 */
function databaseFlows(profile: NatterProfile): string[] {
  const clients = ['natter-api/natter-api', 'natter-api/natter-database-migration'];
  if (profile.database.engine === 'statefulset') {
    return [...meshBaseline('natter-database', profile), ...clients.flatMap((client) => ['5432', '4143'].map((port) => `${client} -> natter-api/natter-database:${port}/TCP`))];
  }
  const operator = cloudNativePgOperatorOf(profile)!;
  const apiServer = kubernetesApiServerOf(profile)!;
  const instancePorts = ['5432', '8000'].map((port) => `natter-api/natter-database:${port}/TCP`);
  return [
    ...dnsOf(profile).map((target) => `natter-api/natter-database -> ${target}`),
    `natter-api/natter-database -> ${apiServer.ip}:${profile.database.cloudNativePg!.kubernetesApiServer.port}/TCP`,
    ...objectStoreFlows(profile).map((to) => `natter-api/natter-database -> ${to}`),
    // Instance to instance (5432, 8000) is one pod template to itself: the table leaves it out (see below).
    ...instancePorts.map((to) => `${operator.namespace}/${operator.name} -> ${to}`),
    ...clients.map((client) => `${client} -> natter-api/natter-database:5432/TCP`),
  ];
}

/** The complete list of allowed flows, written out as the design intends them. */
function expectedFlows(profile: NatterProfile): string[] {
  const edge = edgePodOf(profile);
  const nodePortClient = nodePortClientOf(profile);
  return [
    ...databaseFlows(profile),
    ...meshBaseline('natter-database-migration', profile),
    'natter-api/natter-link-preview -> 93.184.216.34:80/TCP',
    'natter-api/natter-link-preview -> 93.184.216.34:443/TCP',
    'natter-api/natter-link-preview -> 2606:2800:220:1:248:1893:25c8:1946:80/TCP',
    'natter-api/natter-link-preview -> 2606:2800:220:1:248:1893:25c8:1946:443/TCP',
    ...meshBaseline('natter-link-preview', profile),
    ...['natter-link-preview:4143/TCP', 'natter-link-preview:4567/TCP'].map((to) => `natter-api/natter-api -> natter-api/${to}`),
    ...meshBaseline('natter-api', profile),
    // The edge's proxies (ingress controller or gateway), and no other gateway's: the only way in.
    `${edge.namespace}/${edge.name} -> natter-api/natter-api:4143/TCP`,
    `${edge.namespace}/${edge.name} -> natter-api/natter-api:4567/TCP`,
    ...(nodePortClient ? [`${nodePortClient.ip} -> natter-api/natter-api:4143/TCP`, `${nodePortClient.ip} -> natter-api/natter-api:4567/TCP`] : []),
  ].sort();
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('NetworkPolicies (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const { evaluator, pods, everything } = clusterModel(objects, profile);
  const database = pods['natter-database']!;
  const linkPreview = pods['natter-link-preview']!;

  it('allow exactly the designed flows and nothing else (connectivity table)', () => {
    const allowed = formatAllowed(connectivityTable(evaluator, everything, everything, PROBES))
      // Outsiders talking among themselves are not ours to police.
      .filter((line) => line.includes('natter-api/'))
      .sort();
    expect(allowed).toEqual(expectedFlows(profile));
  });

  it('select every workload for both Ingress and Egress', () => {
    for (const endpoint of Object.values(pods)) {
      expect(evaluator.policiesSelecting(endpoint, 'Ingress'), endpoint.name).toContain('natter-api/default-deny-all');
      expect(evaluator.policiesSelecting(endpoint, 'Egress'), endpoint.name).toContain('natter-api/default-deny-all');
    }
    expect(Object.keys(pods).sort()).toEqual(podTemplates(objects).map((template) => template.name).sort());
  });

  it('keep link-preview away from private, link-local and metadata addresses but let it reach the public web', () => {
    for (const target of [OUTSIDERS.privateA, OUTSIDERS.privateC, OUTSIDERS.metadata, OUTSIDERS.cgnat, OUTSIDERS.loopback, OUTSIDERS.ula, OUTSIDERS.ipv4Mapped]) {
      for (const port of [80, 443, 8080]) {
        expect(evaluator.isAllowed(linkPreview, target, { port }), `${target.ip}:${port}`).toBe(false);
      }
    }
    expect(evaluator.isAllowed(linkPreview, OUTSIDERS.publicV4, { port: 443 })).toBe(true);
    expect(evaluator.isAllowed(linkPreview, OUTSIDERS.publicV4, { port: 80 })).toBe(true);
    expect(evaluator.isAllowed(linkPreview, OUTSIDERS.publicV4, { port: 22 })).toBe(false);
    expect(evaluator.isAllowed(linkPreview, OUTSIDERS.publicV4, { port: 443, protocol: 'UDP' })).toBe(false);
    // The internet rule must not double as a path into the cluster.
    expect(evaluator.isAllowed(linkPreview, database, { port: 5432 })).toBe(false);
  });

  it('let nothing but the API and the migration Job (and the CloudNativePG operator and instances) reach the database, and only the clients on 5432', () => {
    const sources = everything.filter((endpoint) => endpoint !== database);
    const rows = connectivityTable(evaluator, sources, [database], PROBES).filter((row) => row.allowed);
    const operator = cloudNativePgOperatorOf(profile);
    expect([...new Set(rows.map((row) => row.from))].sort()).toEqual(['natter-api/natter-api', 'natter-api/natter-database-migration', ...(operator ? [`${operator.namespace}/${operator.name}`] : [])].sort());
    for (const client of ['natter-api/natter-api', 'natter-api/natter-database-migration']) {
      expect(rows.filter((row) => row.from === client && row.port !== 4143).map((row) => row.port)).toEqual([5432]);
    }
    expect(evaluator.isAllowed(OUTSIDERS.impostor, database, { port: 5432 })).toBe(false);
    expect(evaluator.isAllowed(OUTSIDERS.impostor, database, { port: 8000 })).toBe(false);
  });

  it('let the database reach nothing but DNS and the Linkerd control plane (StatefulSet), or DNS, its peers and the API server (CloudNativePG)', () => {
    const rows = connectivityTable(evaluator, [database], everything, PROBES).filter((row) => row.allowed);
    const apiServer = kubernetesApiServerOf(profile);
    const expected = apiServer === undefined
      ? [...dnsOf(profile), ...MESH_CONTROL_PLANE]
      : [...dnsOf(profile), `${apiServer.ip}:${profile.database.cloudNativePg!.kubernetesApiServer.port}/TCP`, ...objectStoreFlows(profile)];
    expect(rows.map((row) => `${row.to}:${row.port}/${row.protocol}`).sort()).toEqual(expected.sort());
    // Never the metadata service or a private address (the object store rule excepts them), never plain HTTP.
    for (const target of [OUTSIDERS.metadata, OUTSIDERS.privateA, OUTSIDERS.privateC, OUTSIDERS.loopback]) {
      for (const port of [80, 443]) expect(evaluator.isAllowed(database, target, { port }), `${target.ip}:${port}`).toBe(false);
    }
    expect(evaluator.isAllowed(database, OUTSIDERS.publicV4, { port: 80 })).toBe(false);
  });

  it('let CloudNativePG instances replicate to and check each other (5432, 8000), and nothing else between them', () => {
    const other = { ...database, name: 'natter-database-2', ip: '10.244.0.99' };
    const ports = connectivityTable(evaluator, [database], [other], PROBES).filter((row) => row.allowed).map((row) => row.port);
    // A StatefulSet of one pod has no peer; a meshed one would need 4143 as well.
    expect(ports).toEqual(profile.database.engine === 'cloudnative-pg' ? [5432, 8000] : []);
  });

  it('open the Linkerd inbound port 4143 wherever meshed traffic arrives', () => {
    // The CloudNativePG instances are not meshed: traffic to them arrives on the ports themselves.
    const meshedPods = Object.values(pods).filter((endpoint) => !(endpoint.name === 'natter-database' && profile.database.engine === 'cloudnative-pg'));
    const rows = connectivityTable(evaluator, everything, meshedPods, PROBES).filter((row) => row.allowed);
    const appFlows = rows.filter((row) => row.port !== 4143);
    for (const flow of appFlows) {
      expect(rows.some((row) => row.from === flow.from && row.to === flow.to && row.port === 4143), `${flow.from} -> ${flow.to}`).toBe(true);
    }
  });
});

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('node port (%s)', (_, profile) => {
  const { evaluator, pods } = clusterModel(manifestsOf(profile), profile);
  const client = nodePortClientOf(profile) ?? { kind: 'ip' as const, ip: '192.168.49.1' };

  it('admits node-port clients to the API exactly when the profile has a node port, and never to the database', () => {
    expect(evaluator.isAllowed(client, pods['natter-api']!, { port: 4567 })).toBe(profile.api.nodePort !== undefined);
    expect(evaluator.isAllowed(client, pods['natter-database']!, { port: 5432 })).toBe(false);
  });
});
