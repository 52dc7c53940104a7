import { describe, expect, it } from 'vitest';
import { computeConnectivity, formatPorts } from '../src/connectivity.js';
import type { Manifest } from '../src/manifest.js';
import { networkPolicy } from './fixtures.js';
import { find, meshedShop } from './mesh-fixture.js';

function flows(objects: readonly Manifest[]): string[] {
  return computeConnectivity(objects).flows.map((flow) => `${flow.from.label} -> ${flow.to.label} ${formatPorts(flow.ports)} ${flow.layer}${flow.refusedByLinkerd.length ? ' refused' : ''}`).sort();
}

describe('computeConnectivity', () => {
  it('lists every allowed flow with its ports and layer, the proxy port folded away', () => {
    expect(flows(meshedShop())).toEqual([
      'db -> DNS 53/TCP, 53/UDP L4',
      'ingress/gateway (ingress-nginx) -> web 4567/TCP L7',
      'web -> DNS 53/TCP, 53/UDP L4',
      'web -> db 5432/TCP L7',
    ]);
    const web = computeConnectivity(meshedShop()).flows.find((flow) => flow.from.label === 'web' && flow.to.label === 'db')!;
    expect(formatPorts(web.allPorts)).toBe('4143/TCP, 5432/TCP');
  });

  it('always shows the internet, the Kubernetes API and other namespaces, plus the peers the policies name', () => {
    const peers = computeConnectivity(meshedShop()).peers.map((peer) => `${peer.kind}:${peer.label}`);
    expect(peers).toEqual(['workload:web', 'workload:db', 'dns:DNS', 'ingress:ingress/gateway (ingress-nginx)', 'internet:internet', 'kubernetes-api:Kubernetes API', 'namespace:other namespaces']);
  });

  it('reveals a rule without ports as every port, and an address range as its own peer', () => {
    const objects = [...meshedShop(), networkPolicy('db-from-office', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.1.0.0/16' } }] }] })];
    expect(flows(objects)).toContain('10.1.0.0/16 -> db any/TCP, any/UDP, any/SCTP L4');
  });

  it('marks a flow Linkerd refuses although the NetworkPolicies allow it', () => {
    const objects = structuredClone(meshedShop());
    find(objects, 'MeshTLSAuthentication', 'db-clients').spec.identityRefs = [{ kind: 'ServiceAccount', name: 'someone-else' }];
    expect(flows(objects)).toContain('web -> db 5432/TCP L4 refused');
  });

  it('lets a workload without egress isolation reach the internet and the Kubernetes API on any port', () => {
    const objects = meshedShop().filter((object) => object.metadata?.name !== 'default-deny' && object.metadata?.name !== 'dns' && object.metadata?.name !== 'web-to-db');
    expect(flows(objects)).toEqual(expect.arrayContaining(['web -> internet any/TCP, any/UDP, any/SCTP L4', 'web -> Kubernetes API any/TCP, any/UDP, any/SCTP L4']));
  });
});
