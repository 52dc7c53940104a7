import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, OUTSIDERS, PROBES, clusterModel, edgePodOf, manifestsOf, nodePortClientOf, variantName } from './natter-cluster.js';
import { connectivityTable, formatAllowed, podTemplates } from '@natter/kube-check';
import type { NatterProfile } from '../src/profiles.js';

const MESH_CONTROL_PLANE = [
  'linkerd/linkerd-identity:8080/TCP',
  'linkerd/linkerd-destination:8086/TCP',
  'linkerd/linkerd-destination:8090/TCP',
];
const DNS = ['kube-system/coredns:53/UDP', 'kube-system/coredns:53/TCP'];

/** What every pod may send: DNS (and NodeLocal DNSCache when the profile has it) and the Linkerd control plane (the proxy needs both). */
function meshBaseline(from: string, profile: NatterProfile): string[] {
  const cache = profile.dns.nodeLocalCache;
  const nodeLocal = cache === undefined || cache.port !== 53 ? [] : [`${cache.address}:53/UDP`, `${cache.address}:53/TCP`];
  return [...DNS, ...nodeLocal, ...MESH_CONTROL_PLANE].map((target) => `natter-api/${from} -> ${target}`);
}

/** The complete list of allowed flows, written out as the design intends them. */
function expectedFlows(profile: NatterProfile): string[] {
  const edge = edgePodOf(profile);
  const nodePortClient = nodePortClientOf(profile);
  return [
    ...meshBaseline('natter-database', profile),
    ...['natter-database:5432/TCP', 'natter-database:4143/TCP'].map((to) => `natter-api/natter-database-migration -> natter-api/${to}`),
    ...meshBaseline('natter-database-migration', profile),
    'natter-api/natter-link-preview -> 93.184.216.34:80/TCP',
    'natter-api/natter-link-preview -> 93.184.216.34:443/TCP',
    'natter-api/natter-link-preview -> 2606:2800:220:1:248:1893:25c8:1946:80/TCP',
    'natter-api/natter-link-preview -> 2606:2800:220:1:248:1893:25c8:1946:443/TCP',
    ...meshBaseline('natter-link-preview', profile),
    ...['natter-database:4143/TCP', 'natter-database:5432/TCP', 'natter-link-preview:4143/TCP', 'natter-link-preview:4567/TCP'].map(
      (to) => `natter-api/natter-api -> natter-api/${to}`,
    ),
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

  it('let nothing but the API and the migration Job reach the database', () => {
    const sources = everything.filter((endpoint) => endpoint !== database);
    const reachers = connectivityTable(evaluator, sources, [database], PROBES).filter((row) => row.allowed).map((row) => row.from);
    expect([...new Set(reachers)].sort()).toEqual(['natter-api/natter-api', 'natter-api/natter-database-migration']);
    expect(evaluator.isAllowed(OUTSIDERS.impostor, database, { port: 5432 })).toBe(false);
  });

  it('let the database reach nothing but DNS and the Linkerd control plane', () => {
    const rows = connectivityTable(evaluator, [database], everything, PROBES).filter((row) => row.allowed);
    const baseline = meshBaseline('natter-database', profile).map((flow) => flow.slice('natter-api/natter-database -> '.length));
    expect(rows.map((row) => `${row.to}:${row.port}/${row.protocol}`).sort()).toEqual(baseline.sort());
  });

  it('open the Linkerd inbound port 4143 wherever meshed traffic arrives', () => {
    const rows = connectivityTable(evaluator, everything, Object.values(pods), PROBES).filter((row) => row.allowed);
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
