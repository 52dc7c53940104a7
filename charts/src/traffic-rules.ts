import { type IWorkload, type LockedDownPolicy, NamespacePeer, Port } from '@natter/constructs';
import type { Construct } from 'constructs';
import { DATABASE_PORT, SERVICE_PORT } from './contract.js';
import type { EdgeDataPlane } from './edge.js';
import { AuthorizedServer } from './linkerd-authorization.js';
import { LINKERD_DESTINATION, LINKERD_IDENTITY, LINKERD_INBOUND_PORT } from './mesh.js';
import type { NatterProfile } from './profiles.js';

/** The four Natter workloads, the subjects and peers of every traffic rule. */
export type NatterWorkloads = Readonly<Record<'database' | 'migration' | 'api' | 'linkPreview', IWorkload>>;

/** One NetworkPolicy per real flow; meshed flows also open the proxy's inbound port 4143. */
export function lockDownNetwork(policies: LockedDownPolicy, profile: NatterProfile, edge: EdgeDataPlane, workloads: NatterWorkloads): void {
  const { database, migration, api, linkPreview } = workloads;
  const meshed = (port: number): Port[] => [Port.tcp(port), LINKERD_INBOUND_PORT];

  policies.allowBetween(api, database, { ports: meshed(DATABASE_PORT) });
  policies.allowBetween(migration, database, { ports: meshed(DATABASE_PORT) });
  policies.allowBetween(api, linkPreview, { ports: meshed(SERVICE_PORT) });
  // The edge's proxy pods (ingress controller or gateway): the only way in from outside.
  policies.allowFromNamespace(NamespacePeer.named(edge.namespace).withPods(edge.podLabels), {
    to: api,
    ports: meshed(SERVICE_PORT),
    name: `${api.name}-ingress-from-edge`,
  });
  policies.allowPublicInternetEgress(linkPreview, { ports: [Port.tcp(80), Port.tcp(443)] });

  // Every pod is meshed: its proxy resolves the control plane's names and fetches its
  // certificate (identity) and routes and policies (destination). That is the only reason the
  // database may send anything at all; the others also resolve the Services they call.
  for (const workload of Object.values(workloads)) {
    policies.allowDnsEgress(workload);
    policies.allowEgressToNamespace(LINKERD_IDENTITY.peer, { from: workload, ports: LINKERD_IDENTITY.ports, name: `${workload.name}-egress-to-linkerd-identity` });
    policies.allowEgressToNamespace(LINKERD_DESTINATION.peer, { from: workload, ports: LINKERD_DESTINATION.ports, name: `${workload.name}-egress-to-linkerd-destination` });
  }

  if (profile.api.nodePort !== undefined) {
    policies.allowFromCidrs(profile.api.nodePort.clientCidrs, {
      to: api,
      ports: meshed(SERVICE_PORT),
      name: `${api.name}-ingress-from-node-port-clients`,
    });
  }
}

/** Linkerd identity-based authorization mirroring the NetworkPolicy flows, one Server per served port. */
export function authorizeMesh(container: Construct, profile: NatterProfile, edge: EdgeDataPlane, workloads: NatterWorkloads): void {
  const { database, migration, api, linkPreview } = workloads;
  new AuthorizedServer(container, 'Database', {
    workload: database,
    port: 'postgres',
    proxyProtocol: 'opaque',
    clients: [{ serviceAccount: api.name }, { serviceAccount: migration.name }],
  });
  new AuthorizedServer(container, 'LinkPreview', {
    workload: linkPreview,
    port: 'http',
    proxyProtocol: 'HTTP/1',
    clients: [{ serviceAccount: api.name }],
  });
  new AuthorizedServer(container, 'Api', {
    workload: api,
    port: 'http',
    proxyProtocol: 'HTTP/1',
    clients: [{ serviceAccount: edge.serviceAccount, namespace: edge.namespace }],
    unmeshedNetworks: profile.api.nodePort?.clientCidrs ?? [],
  });
}
