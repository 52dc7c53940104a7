// A shop: a web app with a PostgreSQL database, behind an ingress-nginx Ingress, built only from
// @natter/constructs and cdk8s-plus-27 as a project outside this repository would use them.
import { App, Chart, Duration, Size } from 'cdk8s';
import { ConfigMap, Cpu, EnvFieldPaths, EnvValue, PercentOrAbsolute } from 'cdk8s-plus-27';
import {
  DnsResolver,
  HardenedDeployment,
  HardenedIngress,
  HardenedNamespace,
  HardenedStatefulSet,
  HealthProbe,
  LockedDownPolicy,
  MountedVolume,
  NamespacePeer,
  Port,
  RolloutStrategy,
} from '@natter/constructs';

/** Where the web app and the database run. */
export const NAMESPACE = 'shop';
const WEB_PORT = 8080;
const DATABASE_PORT = 5432;

/** What differs between clusters; everything else is derived. */
export interface ShopSettings {
  /** The public host name the Ingress serves. */
  readonly host: string;
  /** The web app's image, pinned by digest in production. */
  readonly webImage: string;
  /** Does the cluster run NodeLocal DNSCache (pods then resolve through 169.254.20.10)? */
  readonly nodeLocalDns: boolean;
}

export const DEFAULT_SETTINGS: ShopSettings = {
  host: 'shop.example.com',
  webImage: 'ghcr.io/example/shop-web:1.4.2',
  nodeLocalDns: false,
};

/** The whole app in one chart. */
export function buildShop(app: App, settings: ShopSettings = DEFAULT_SETTINGS): Chart {
  const chart = new Chart(app, 'shop', { namespace: NAMESPACE, disableResourceNameHashes: true });

  new HardenedNamespace(chart, 'Namespace', {
    name: NAMESPACE,
    resourceQuota: { requestsCpu: Cpu.units(4), requestsMemory: Size.gibibytes(8), limitsMemory: Size.gibibytes(12), pods: 30, loadBalancerServices: 0 },
    limitRange: { defaultCpuRequest: Cpu.millis(50), defaultMemoryRequest: Size.mebibytes(64), defaultMemoryLimit: Size.mebibytes(256) },
  });
  const policies = new LockedDownPolicy(chart, 'Policies', {
    dnsResolvers: settings.nodeLocalDns ? [DnsResolver.nodeLocalCache(), DnsResolver.kubeDns()] : [DnsResolver.kubeDns()],
  });

  const database = new HardenedStatefulSet(chart, 'Database', {
    name: 'shop-db',
    image: 'postgres:16.10-bookworm',
    ports: [{ name: 'postgres', number: DATABASE_PORT }],
    env: { PGDATA: '/var/lib/postgresql/data/pgdata', POSTGRES_DB: 'shop', POSTGRES_USER: 'shop' },
    secretFiles: [{ secretName: 'shop-db-password', key: 'password' }],
    writableDirectories: ['/var/run/postgresql'],
    volumeClaims: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(20) }],
    memoryRequest: Size.mebibytes(256),
    memoryLimit: Size.mebibytes(512),
    readinessProbe: HealthProbe.exec(['pg_isready', '--quiet', '--host=/var/run/postgresql', '--username=shop']),
    livenessProbe: HealthProbe.exec(['pg_isready', '--quiet', '--host=/var/run/postgresql', '--username=shop'], { periodSeconds: 20 }),
    terminationGracePeriod: Duration.seconds(60),
  });
  database.addEnv('POSTGRES_PASSWORD_FILE', database.secretFilePath('shop-db-password', 'password'));
  const databaseService = database.exposeViaService({ name: 'shop-db', port: DATABASE_PORT });

  const config = new ConfigMap(chart, 'WebConfig', { metadata: { name: 'shop-web-config' }, data: { 'features.json': '{"reviews":true}' } });
  const web = new HardenedDeployment(chart, 'Web', {
    name: 'shop-web',
    image: settings.webImage,
    replicas: 2,
    strategy: RolloutStrategy.rollingUpdate({ maxSurge: PercentOrAbsolute.absolute(1), maxUnavailable: PercentOrAbsolute.absolute(0) }),
    ports: [{ name: 'http', number: WEB_PORT }],
    env: {
      DATABASE_URL_HOST: databaseService.clusterDnsName(),
      DATABASE_PORT: String(DATABASE_PORT),
      POD_NAME: EnvValue.fromFieldRef(EnvFieldPaths.POD_NAME),
    },
    secretFiles: [{ secretName: 'shop-db-password', key: 'password' }],
    volumes: [MountedVolume.configMap({ configMap: config, mountPath: '/etc/shop' })],
    readinessProbe: HealthProbe.httpGet('/ready', { hostHeader: settings.host }),
    livenessProbe: HealthProbe.httpGet('/health', { hostHeader: settings.host, periodSeconds: 20 }),
  });
  web.addEnv('DATABASE_PASSWORD_FILE', web.secretFilePath('shop-db-password', 'password'));
  const webService = web.exposeViaService({ name: 'shop-web', port: 80 });

  new HardenedIngress(chart, 'Ingress', {
    name: 'shop-web',
    host: settings.host,
    tlsSecretName: 'shop-tls',
    backend: webService,
    annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' },
  });

  // One rule per real flow; everything else stays denied.
  policies.allowBetween(web, database, { ports: [Port.tcp(DATABASE_PORT)] });
  policies.allowFromNamespace(NamespacePeer.named('ingress-nginx').withPods({ 'app.kubernetes.io/name': 'ingress-nginx' }), {
    to: web,
    ports: [Port.tcp(WEB_PORT)],
  });
  policies.allowDnsEgress(web);
  return chart;
}
