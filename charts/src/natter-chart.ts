import { Chart } from 'cdk8s';
import { EnvFieldPaths, EnvValue, PercentOrAbsolute, ServiceType } from 'cdk8s-plus-27';
import {
  DnsResolver,
  HardenedDeployment,
  HardenedNamespace,
  LockedDownPolicy,
  PodSecurityLevel,
  RolloutStrategy,
  HealthProbe,
  type WorkloadService,
} from '@natter/constructs';
import { Construct } from 'constructs';
import { DATABASE_API_USER, DATABASE_PORT, NAMESPACE, SECRETS, SECRETS_DIRECTORY, SERVICE_NAMES, SERVICE_PORT, WORKLOAD_NAMES } from './contract.js';
import { CloudNativePgCluster } from './cloudnative-pg.js';
import { Database, Migration } from './database.js';
import { API_ROLLOUT_PERCENT, connectionBudget } from './database-connections.js';
import { connectToDatabase, type DatabaseEndpoint } from './database-endpoint.js';
import { keepDataOnSync } from './data-retention.js';
import { NatterEdge } from './edge.js';
import { MaterializedSecrets, mountedSecrets } from './external-secrets.js';
import { MESH_POD_ANNOTATIONS } from './mesh.js';
import { nodeSupportProps } from './node-support.js';
import { ProxyMetricsScraping } from './proxy-metrics.js';
import { type MeshMode, type NatterProfile, profileFileName, validateProfile } from './profiles.js';
import { namespaceBudgetProps, pullPolicy, resourceProps } from './construct-props.js';
import { rateLimitEnv, trustEdge } from './client-address.js';
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
 * link-preview service, locked down by NetworkPolicies and meshed by Linkerd, behind one edge
 * (a Gateway API Gateway or an ingress-nginx Ingress).
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
      // The policy of the oldest Kubernetes the profile runs on (also `npm run check`'s target).
      podSecurityVersion: `v${profile.kubernetesVersion}`,
      ...namespaceBudgetProps(profile),
      annotations: {
        'linkerd.io/inject': 'enabled',
        // Any meshed port without a Server (below) refuses connections; kubelet probes stay authorized.
        'config.linkerd.io/default-inbound-policy': 'deny',
        [MESH_MODE_ANNOTATION]: profile.meshMode,
      },
    });
    // Rendered right after the namespace, so kubectl applies default-deny before any pod exists.
    const policies = new LockedDownPolicy(this, 'NetworkPolicies', { dnsResolvers: dnsResolversOf(profile) });
    // Linkerd Servers and AuthorizationPolicies, filled in below, rendered before any workload too.
    const authorization = new Construct(this, 'MeshAuthorization');
    // The Secrets the pods mount (prod: ExternalSecrets), filled in once the workloads are complete.
    const secrets = new Construct(this, 'Secrets');

    const addresses = {
      api: new ServiceAddress(SERVICE_NAMES.api, NAMESPACE, SERVICE_PORT),
      linkPreview: new ServiceAddress(SERVICE_NAMES.linkPreview, NAMESPACE, SERVICE_PORT),
    };

    const database =
      profile.database.engine === 'cloudnative-pg'
        ? new CloudNativePgCluster(this, 'Database', { profile })
        : new Database(this, 'Database', { profile, address: new ServiceAddress(SERVICE_NAMES.database, NAMESPACE, DATABASE_PORT) });
    const migration = new Migration(this, 'Migration', { profile, database });
    const linkPreview = this.linkPreview(profile, addresses.linkPreview);
    const api = this.api(profile, addresses, database);
    const edge = new NatterEdge(this, 'Edge', { profile, api: api.service });
    trustEdge(api.workload, edge.dataPlane);

    if (database instanceof Database) assertSameHosts(database.service, database.address);
    assertSameHosts(linkPreview.service, addresses.linkPreview);
    assertSameHosts(api.service, addresses.api);

    lockDownNetwork(policies, profile, edge.dataPlane, { database, migration: migration.workload, api: api.workload, linkPreview: linkPreview.workload });
    authorizeMesh(authorization, profile, edge.dataPlane, { database, migration: migration.workload, api: api.workload, linkPreview: linkPreview.workload });
    if (profile.monitoring !== undefined) {
      // CloudNativePG's instances are not meshed: no proxy, so no 4191 to scrape there.
      const workloads = [...(database instanceof Database ? [database.workload] : []), migration.workload, api.workload, linkPreview.workload];
      new ProxyMetricsScraping(authorization, 'ProxyMetrics', { monitoring: profile.monitoring, policies, workloads });
    }

    const externalSecrets = profile.secrets.externalSecrets;
    if (externalSecrets !== undefined) {
      const operated = database instanceof CloudNativePgCluster ? { issuedInCluster: [database.serverCa.secretName], basicAuth: database.loginSecrets } : {};
      new MaterializedSecrets(secrets, 'ExternalSecrets', { secrets: mountedSecrets(this), settings: externalSecrets, source: profileFileName(profile.name), ...operated });
    }

    assignSyncWave(namespace, SyncWave.NAMESPACE);
    assignSyncWave(secrets, SyncWave.GUARDRAILS);
    assignSyncWave(database, SyncWave.DATABASE);
    assignSyncWave(policies, SyncWave.GUARDRAILS);
    assignSyncWave(authorization, SyncWave.GUARDRAILS);
    for (const workload of [migration.workload, api.workload, linkPreview.workload]) {
      assignSyncWave(workload.serviceAccount, SyncWave.GUARDRAILS);
    }
    if (database instanceof Database) assignSyncWave(database.workload.serviceAccount, SyncWave.GUARDRAILS);
    assignSyncWave(migration.workload.resource, SyncWave.MIGRATION);
    markAsSyncHook(migration.job);
    assignSyncWave(linkPreview.workload.resource, SyncWave.APPS);
    assignSyncWave(api.workload.resource, SyncWave.APPS);
    for (const child of [linkPreview.service, api.service, edge]) assignSyncWave(child, SyncWave.APPS);
    for (const workload of [linkPreview.workload, api.workload]) {
      if (workload.podDisruptionBudget) assignSyncWave(workload.podDisruptionBudget, SyncWave.APPS);
    }
  }

  /** The rendered objects, every data-holding one protected from Argo CD prune and delete. */
  public override toJson(): any[] {
    return keepDataOnSync(super.toJson());
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
    addresses: Readonly<Record<'api' | 'linkPreview', ServiceAddress>>,
    database: DatabaseEndpoint,
  ): { workload: HardenedDeployment; service: WorkloadService } {
    const address = addresses.api;
    const workload = new HardenedDeployment(this, 'Api', {
      // /ready fails while the database is unreachable; /health (liveness) only says the process is alive.
      ...meshedHttpServer(profile, address, '/ready'),
      replicas: profile.api.replicas,
      // Stated, not left to Kubernetes' default: the connection budget counts the pods a rollout adds.
      strategy: RolloutStrategy.rollingUpdate({
        maxSurge: PercentOrAbsolute.percent(API_ROLLOUT_PERCENT.maxSurge),
        maxUnavailable: PercentOrAbsolute.percent(API_ROLLOUT_PERCENT.maxUnavailable),
      }),
      // scrypt (N=32768, r=8) needs 32 MiB per concurrent hash: mind it when lowering the memory.
      ...resourceProps(profile.api.resources),
      name: WORKLOAD_NAMES.api,
      image: profile.images.natterApi,
      env: {
        PORT: String(address.port),
        LOG_LEVEL: profile.logLevel,
        ALLOWED_HOSTS: apiAllowedHosts(profile, address).join(','),
        LINK_PREVIEW_URL: addresses.linkPreview.url,
        DATABASE_USER: DATABASE_API_USER,
        // Every pod at a rollout's peak, together, within what the database allows (database-connections.ts).
        DATABASE_POOL_MAX: String(connectionBudget(profile).poolPerPod),
        // pg_stat_activity then shows which pod holds which connections (a pod name fits application_name's 63 bytes).
        DATABASE_APPLICATION_NAME: EnvValue.fromFieldRef(EnvFieldPaths.POD_NAME),
        ...(profile.api.corsOrigin === undefined ? {} : { CORS_ORIGIN: profile.api.corsOrigin }),
        ...rateLimitEnv(profile.api),
        BASIC_AUTH_CACHE_TTL_SECONDS: String(profile.api.basicAuthCache.ttlSeconds),
        BASIC_AUTH_CACHE_MAX_ENTRIES: String(profile.api.basicAuthCache.maxEntries),
      },
      secretFiles: [SECRETS.databaseApiUser, SECRETS.hmacKey],
      secretsDirectory: SECRETS_DIRECTORY,
    });
    connectToDatabase(workload, database);
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
    ...nodeSupportProps(profile),
  } as const;
}

/**
 * The DNS servers pods may query: the kube-dns pods, and with NodeLocal DNSCache also its
 * link-local address on every node (kube-dns stays: the cache forwards misses there and, in
 * iptables mode, answers on the kube-dns Service address too).
 */
function dnsResolversOf(profile: NatterProfile): DnsResolver[] {
  const cache = profile.dns.nodeLocalCache;
  return cache === undefined ? [DnsResolver.kubeDns()] : [DnsResolver.nodeLocalCache(cache), DnsResolver.kubeDns()];
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
