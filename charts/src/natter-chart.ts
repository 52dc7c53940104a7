import { Chart } from 'cdk8s';
import { ServiceType } from 'cdk8s-plus-27';
import {
  HardenedDeployment,
  HardenedIngress,
  HardenedNamespace,
  LockedDownPolicy,
  PodSecurityLevel,
  HealthProbe,
  type WorkloadService,
} from '@natter/constructs';
import { Construct } from 'constructs';
import { DATABASE_NAME, DATABASE_API_USER, DATABASE_PORT, NAMESPACE, SECRETS, SECRETS_DIRECTORY, SERVICE_NAMES, SERVICE_PORT, WORKLOAD_NAMES } from './contract.js';
import { Database, Migration } from './database.js';
import { MESH_POD_ANNOTATIONS } from './mesh.js';
import { POD_APPARMOR_PROFILE } from './node-support.js';
import { type MeshMode, type NatterProfile, validateProfile } from './profiles.js';
import { pullPolicy, resourceProps } from './construct-props.js';
import { ServiceAddress } from './service-address.js';
import { SyncWave, assignSyncWave, markAsSyncHook } from './sync-waves.js';
import { authorizeMesh, lockDownNetwork } from './traffic-rules.js';

export interface NatterChartProps {
  readonly profile: NatterProfile;
}

/** Records on the namespace which mesh mode its Pod Security labels were chosen for. */
export const MESH_MODE_ANNOTATION = 'natter.local/linkerd-mode';

/** libuv threads for the link-preview pod (see its env): room for slow DNS answers beside zlib work. */
const LINK_PREVIEW_THREADPOOL_SIZE = 16;

/** Pod Security Admission levels that admit exactly what the mesh mode injects (see MeshMode). */
export function podSecurityFor(mode: MeshMode): { enforce: PodSecurityLevel; audit: PodSecurityLevel; warn: PodSecurityLevel } {
  const enforce = mode === 'linkerd-cni' ? PodSecurityLevel.RESTRICTED : PodSecurityLevel.PRIVILEGED;
  return { enforce, audit: PodSecurityLevel.RESTRICTED, warn: PodSecurityLevel.RESTRICTED };
}

/**
 * The Natter system in namespace `natter-api`: PostgreSQL, its migration Job, the API and the
 * link-preview service, locked down by NetworkPolicies and meshed by Linkerd, with an Ingress.
 * Every name, port, Host allowlist and URL is derived here once.
 */
export class NatterChart extends Chart {
  public readonly profile: NatterProfile;

  public constructor(scope: Construct, id: string, props: NatterChartProps) {
    super(scope, id, { namespace: NAMESPACE, disableResourceNameHashes: true });
    const { profile } = props;
    validateProfile(profile);
    this.profile = profile;

    const namespace = new HardenedNamespace(this, 'Namespace', {
      name: NAMESPACE,
      ...podSecurityFor(profile.meshMode),
      annotations: {
        'linkerd.io/inject': 'enabled',
        // Any meshed port without a Server (below) refuses connections; kubelet probes stay authorized.
        'config.linkerd.io/default-inbound-policy': 'deny',
        [MESH_MODE_ANNOTATION]: profile.meshMode,
      },
    });
    // Rendered right after the namespace, so kubectl applies default-deny before any pod exists.
    const policies = new LockedDownPolicy(this, 'NetworkPolicies');
    // Linkerd Servers and AuthorizationPolicies, filled in below, rendered before any workload too.
    const authorization = new Construct(this, 'MeshAuthorization');

    const addresses = {
      database: new ServiceAddress(SERVICE_NAMES.database, NAMESPACE, DATABASE_PORT),
      api: new ServiceAddress(SERVICE_NAMES.api, NAMESPACE, SERVICE_PORT),
      linkPreview: new ServiceAddress(SERVICE_NAMES.linkPreview, NAMESPACE, SERVICE_PORT),
    };

    const database = new Database(this, 'Database', { profile, address: addresses.database });
    const migration = new Migration(this, 'Migration', { profile, database: addresses.database });
    const linkPreview = this.linkPreview(profile, addresses.linkPreview);
    const api = this.api(profile, addresses);
    const ingress = new HardenedIngress(this, 'Ingress', {
      name: WORKLOAD_NAMES.api,
      host: profile.edge.host,
      tlsSecretName: profile.edge.tlsSecretName,
      ingressClassName: profile.edge.ingressNginx.className,
      backend: api.service,
      // Route to the Service's cluster IP with its cluster DNS name as Host, so Linkerd meshes it.
      meshUpstream: true,
      annotations: {
        'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
        // The API rejects bodies over 64 KiB; stop larger ones at the edge.
        'nginx.ingress.kubernetes.io/proxy-body-size': '64k',
      },
    });

    assertSameHosts(database.service, addresses.database);
    assertSameHosts(linkPreview.service, addresses.linkPreview);
    assertSameHosts(api.service, addresses.api);

    lockDownNetwork(policies, profile, { database: database.workload, migration: migration.workload, api: api.workload, linkPreview: linkPreview.workload });
    authorizeMesh(authorization, profile, { database: database.workload, migration: migration.workload, api: api.workload, linkPreview: linkPreview.workload });

    assignSyncWave(namespace, SyncWave.NAMESPACE);
    assignSyncWave(database, SyncWave.DATABASE);
    assignSyncWave(policies, SyncWave.GUARDRAILS);
    assignSyncWave(authorization, SyncWave.GUARDRAILS);
    for (const workload of [database.workload, migration.workload, api.workload, linkPreview.workload]) {
      assignSyncWave(workload.serviceAccount, SyncWave.GUARDRAILS);
    }
    assignSyncWave(migration.workload.resource, SyncWave.MIGRATION);
    markAsSyncHook(migration.job);
    assignSyncWave(linkPreview.workload.resource, SyncWave.APPS);
    assignSyncWave(api.workload.resource, SyncWave.APPS);
    for (const child of [linkPreview.service, api.service, ingress]) assignSyncWave(child, SyncWave.APPS);
    for (const workload of [linkPreview.workload, api.workload]) {
      if (workload.podDisruptionBudget) assignSyncWave(workload.podDisruptionBudget, SyncWave.APPS);
    }
  }

  private linkPreview(profile: NatterProfile, address: ServiceAddress): { workload: HardenedDeployment; service: WorkloadService } {
    const workload = new HardenedDeployment(this, 'LinkPreview', {
      // /ready fails while the cluster DNS does not answer (every preview starts with a lookup);
      // /health (liveness) only says the process is alive.
      ...meshedHttpServer(profile, address, '/ready'),
      replicas: profile.linkPreview.replicas,
      ...resourceProps(profile.linkPreview.resources),
      name: WORKLOAD_NAMES.linkPreview,
      image: profile.images.linkPreview,
      env: {
        PORT: String(address.port),
        LOG_LEVEL: profile.logLevel,
        ALLOWED_HOSTS: address.inClusterHosts.join(','),
        // A name the cluster DNS always knows while it works: the Service's own.
        READINESS_DNS_NAME: address.fqdn,
        // dns.lookup and zlib share libuv's pool (4 threads by default): a few attacker-chosen names
        // that resolve slowly must not stall every other preview's decompression.
        UV_THREADPOOL_SIZE: String(LINK_PREVIEW_THREADPOOL_SIZE),
      },
    });
    return { workload, service: workload.exposeViaService({ name: address.name, port: address.port }) };
  }

  private api(
    profile: NatterProfile,
    addresses: Readonly<Record<'database' | 'api' | 'linkPreview', ServiceAddress>>,
  ): { workload: HardenedDeployment; service: WorkloadService } {
    const address = addresses.api;
    const workload = new HardenedDeployment(this, 'Api', {
      // /ready fails while the database is unreachable; /health (liveness) only says the process is alive.
      ...meshedHttpServer(profile, address, '/ready'),
      replicas: profile.api.replicas,
      // scrypt (N=32768, r=8) needs 32 MiB per concurrent hash: mind it when lowering the memory.
      ...resourceProps(profile.api.resources),
      name: WORKLOAD_NAMES.api,
      image: profile.images.natterApi,
      env: {
        PORT: String(address.port),
        LOG_LEVEL: profile.logLevel,
        ALLOWED_HOSTS: apiAllowedHosts(profile, address).join(','),
        LINK_PREVIEW_URL: addresses.linkPreview.url,
        DATABASE_HOST: addresses.database.fqdn,
        DATABASE_PORT: String(addresses.database.port),
        DATABASE_NAME,
        DATABASE_USER: DATABASE_API_USER,
        ...(profile.api.corsOrigin === undefined ? {} : { CORS_ORIGIN: profile.api.corsOrigin }),
      },
      secretFiles: [SECRETS.databaseApiUser, SECRETS.hmacKey],
      secretsDirectory: SECRETS_DIRECTORY,
    });
    workload.addEnv('DATABASE_PASSWORD_FILE', workload.secretFilePath(SECRETS.databaseApiUser.secretName, SECRETS.databaseApiUser.key));
    workload.addEnv('HMAC_KEY_FILE', workload.secretFilePath(SECRETS.hmacKey.secretName, SECRETS.hmacKey.key));
    const nodePort = profile.api.nodePort;
    const service = workload.exposeViaService(
      nodePort === undefined
        ? { name: address.name, port: address.port }
        : { name: address.name, port: address.port, type: ServiceType.NODE_PORT, nodePort: nodePort.port },
    );
    return { workload, service };
  }
}

/**
 * What both HTTP services share: the profile's pull policy, one `http` port, probes that send
 * the Host header the service's allowlist accepts, and the mesh annotations.
 */
function meshedHttpServer(profile: NatterProfile, address: ServiceAddress, readinessPath: string) {
  return {
    imagePullPolicy: pullPolicy(profile),
    ports: [{ name: 'http', number: address.port }],
    readinessProbe: HealthProbe.httpGet(readinessPath, { hostHeader: address.probeHost, periodSeconds: 5 }),
    livenessProbe: HealthProbe.httpGet('/health', { hostHeader: address.probeHost, periodSeconds: 20 }),
    podAnnotations: MESH_POD_ANNOTATIONS,
    appArmorProfile: POD_APPARMOR_PROFILE,
  } as const;
}

/** The API answers to its in-cluster names and the public host (with the node port in dev). */
export function apiAllowedHosts(profile: NatterProfile, address: ServiceAddress): string[] {
  const external = [profile.edge.host];
  if (profile.api.nodePort !== undefined) external.push(`${profile.edge.host}:${profile.api.nodePort.port}`);
  return [...address.inClusterHosts, ...external];
}

/** Fails synthesis if the construct's view of a Service ever diverges from the chart's address. */
function assertSameHosts(service: WorkloadService, address: ServiceAddress): void {
  const fromConstruct = service.inClusterHosts().join(',');
  const fromChart = address.inClusterHosts.join(',');
  if (fromConstruct !== fromChart || service.port !== address.port || service.name !== address.name) {
    throw new Error(`Service ${service.name}: construct hosts [${fromConstruct}] differ from chart hosts [${fromChart}]`);
  }
}
