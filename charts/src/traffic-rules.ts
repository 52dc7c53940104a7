import { type IWorkload, type LockedDownPolicy, NamespacePeer, Port } from '@natter/constructs';
import type { Construct } from 'constructs';
import { CNPG_STATUS_PORT, CloudNativePgCluster } from './cloudnative-pg.js';
import { DATABASE_PORT, SERVICE_PORT } from './contract.js';
import type { DatabaseEndpoint } from './database-endpoint.js';
import type { EdgeDataPlane } from './edge.js';
import { AuthorizedServer } from './linkerd-authorization.js';
import { LINKERD_DESTINATION, LINKERD_IDENTITY, LINKERD_INBOUND_PORT } from './mesh.js';
import type { NatterProfile } from './profiles.js';

/** The Natter workloads and the database, the subjects and peers of every traffic rule. */
export interface NatterWorkloads extends Readonly<Record<'migration' | 'api' | 'linkPreview', IWorkload>> {
  readonly database: DatabaseEndpoint;
}

/** One NetworkPolicy per real flow; meshed flows also open the proxy's inbound port 4143. */
export function lockDownNetwork(policies: LockedDownPolicy, profile: NatterProfile, edge: EdgeDataPlane, workloads: NatterWorkloads): void {
  const { migration, api, linkPreview } = workloads;
  const database = workloads.database.workload;
  const meshed = (port: number): Port[] => [Port.tcp(port), LINKERD_INBOUND_PORT];
  // An unmeshed database is reached on its own port, protected by PostgreSQL's TLS (verify-full).
  const databasePorts = workloads.database.serverCa === undefined ? meshed(DATABASE_PORT) : [Port.tcp(DATABASE_PORT)];

  policies.allowBetween(api, database, { ports: databasePorts });
  policies.allowBetween(migration, database, { ports: databasePorts });
  policies.allowBetween(api, linkPreview, { ports: meshed(SERVICE_PORT) });
  // The edge's proxy pods (ingress controller or gateway): the only way in from outside.
  policies.allowFromNamespace(NamespacePeer.named(edge.namespace).withPods(edge.podLabels), {
    to: api,
    ports: meshed(SERVICE_PORT),
    name: `${api.name}-ingress-from-edge`,
  });
  policies.allowPublicInternetEgress(linkPreview, { ports: [Port.tcp(80), Port.tcp(443)] });

  if (workloads.database instanceof CloudNativePgCluster) allowCloudNativePg(policies, profile, workloads.database);

  // Every meshed pod's proxy resolves the control plane's names and fetches its certificate
  // (identity) and routes and policies (destination). That is the only reason the StatefulSet
  // database may send anything at all; the others also resolve the Services they call.
  const meshedWorkloads = workloads.database instanceof CloudNativePgCluster ? [migration, api, linkPreview] : [database, migration, api, linkPreview];
  for (const workload of meshedWorkloads) {
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

/**
 * What the CloudNativePG instances (and the Jobs the operator runs for them) need, and nothing
 * more: the operator calls each instance's status port and connects to PostgreSQL; the instances
 * replicate among themselves on 5432 and, for the primary's isolation check, call each other's
 * status port; every instance manager (and the backup sidecar) talks to the Kubernetes API server;
 * they send WAL and base backups to the object store; and they resolve names (the primary's
 * Service, the object store).
 */
function allowCloudNativePg(policies: LockedDownPolicy, profile: NatterProfile, cluster: CloudNativePgCluster): void {
  const settings = profile.database.cloudNativePg!;
  const ports = [Port.tcp(DATABASE_PORT), Port.tcp(CNPG_STATUS_PORT)];
  policies.allowFromNamespace(NamespacePeer.named(settings.operator.namespace).withPods(settings.operator.podLabels), {
    to: cluster,
    ports,
    name: `${cluster.name}-ingress-from-cloudnative-pg-operator`,
  });
  policies.allowBetween(cluster, cluster, { ports });
  policies.allowEgressToCidrs(settings.kubernetesApiServer.cidrs, {
    from: cluster,
    ports: [Port.tcp(settings.kubernetesApiServer.port)],
    name: `${cluster.name}-egress-to-kubernetes-api-server`,
  });
  // WAL archiving, base backups and recovery: the plugin's sidecar in each instance (and the recovery Job).
  const objectStore = { from: cluster, ports: [Port.tcp(cluster.objectStorePort)], name: `${cluster.name}-egress-to-object-store` };
  if (settings.backup.endpointCidrs === undefined) policies.allowPublicInternetEgress(cluster, objectStore);
  else policies.allowEgressToCidrs(settings.backup.endpointCidrs, objectStore);
  policies.allowDnsEgress(cluster);
}

/** Linkerd identity-based authorization mirroring the NetworkPolicy flows, one Server per served port. */
export function authorizeMesh(container: Construct, profile: NatterProfile, edge: EdgeDataPlane, workloads: NatterWorkloads): void {
  const { migration, api, linkPreview } = workloads;
  // An unmeshed database has no proxy to enforce a Server: PostgreSQL authenticates its clients.
  if (workloads.database.serverCa === undefined) {
    new AuthorizedServer(container, 'Database', {
      workload: workloads.database.workload,
      port: 'postgres',
      proxyProtocol: 'opaque',
      clients: [{ serviceAccount: api.name }, { serviceAccount: migration.name }],
    });
  }
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
