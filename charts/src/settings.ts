import { z } from 'zod';
import { edgeSettings } from './edge-settings.js';
import { connectionIssues, MEASURED_POOL_MAX, MIN_POOL } from './database-connections.js';
import { rateLimitIssues, rateLimitSettings } from './rate-limit-settings.js';

/**
 * The CloudNativePG Cluster's name (contract.ts WORKLOAD_NAMES.database; settings.ts is also read by
 * scripts/, which cannot resolve contract.ts's imports — cloudnative-pg.test.ts pins the two equal):
 * the default folder its backups go to.
 */
export const DATABASE_CLUSTER_NAME = 'natter-database';

/**
 * The settings model: every value that may differ between environments, with its documentation
 * and its default, in this one file. A profile is a `natter.<profile>.yaml` file next to
 * `cdk8s.yaml` that sets only what differs from these defaults (charts/README.md, "Settings").
 *
 * Defaults are the secure, production-grade choice; a profile that weakens one (one replica, an
 * image by tag, a node port) says so in its own file, where a reviewer sees it.
 *
 * Settings are plain data (strings, numbers, booleans), so a parsed profile validates again
 * unchanged, serializes to YAML, and shows in a diff exactly as written.
 */

/**
 * How pods join the Linkerd mesh, which decides the namespace's Pod Security Admission level:
 * - `linkerd-cni` (default): the linkerd-cni DaemonSet sets up iptables on the node, the injector
 *   adds only a restricted-compliant `linkerd-network-validator`, so the namespace ENFORCES
 *   `restricted`.
 * - `linkerd-init`: Linkerd's default install adds a `linkerd-init` container that runs as root
 *   with NET_ADMIN and NET_RAW; baseline and restricted both reject it, so the namespace must
 *   enforce `privileged` (audit and warn stay `restricted`, so anything else still shows up).
 */
export const MESH_MODES = ['linkerd-cni', 'linkerd-init'] as const;
export type MeshMode = (typeof MESH_MODES)[number];

/** The services' log levels (pino) that make sense in a cluster. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

export { EDGE_KINDS } from './edge-settings.js';

/** External Secrets Operator store kinds an ExternalSecret can read from. */
export const SECRET_STORE_KINDS = ['ClusterSecretStore', 'SecretStore'] as const;

/** Native sidecars (the migration Job's proxy) are on by default from Kubernetes 1.29. */
export const MIN_KUBERNETES_MINOR = 29;
/** securityContext.appArmorProfile is a field from Kubernetes 1.30. */
export const APPARMOR_MINOR = 30;
/** User namespaces (hostUsers: false) are on by default from Kubernetes 1.33. */
export const USER_NAMESPACES_MINOR = 33;

/** `1.33` → 33. */
export function kubernetesMinor(version: string): number {
  return Number(version.split('.')[1]);
}

/**
 * What runs PostgreSQL (charts/README.md, "The database"):
 * - `cloudnative-pg` (default): a CloudNativePG `Cluster` (operator v1.30): replicated instances
 *   with synchronous quorum commit and automated failover, reached over PostgreSQL's own verified
 *   TLS; the operator and its Barman Cloud plugin must be installed in the cluster first.
 * - `statefulset`: one hand-made PostgreSQL pod (official image) meshed by Linkerd: no replica,
 *   no failover, no backup. For a laptop (minikube), never for data you want to keep.
 */
export const DATABASE_ENGINES = ['cloudnative-pg', 'statefulset'] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MILLICORES = /^[1-9]\d*m$/;
const BINARY_SIZE = /^[1-9]\d*(Mi|Gi)$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;
/** `[registry[:port]/]path[:tag][@sha256:<64 hex>]`, with at least a tag or a digest. */
const IMAGE = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

/** A git ref name Argo CD can resolve (no spaces, no `..`, no leading `-`). */
const GIT_REVISION = /^(?!-)(?!.*\.\.)[\w./-]{1,255}$/;
/** What a release is: a `release/<version>` branch (written by the release job) or a `v<semver>` tag. */
export const RELEASE_REVISION = /^(release\/[\w.-]+|v\d+\.\d+\.\d+([-+][\w.-]+)?)$/;
/** The cluster Argo CD itself runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
/** The branch development profiles track when they name none. */
export const DEVELOPMENT_REVISION = 'main';

const dnsName = z.string().regex(DNS_NAME, 'must be a lower-case DNS name such as api.example.com');
const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lower-case DNS label such as linkerd-viz or cnpg-system');
/** Pod labels of a peer: at least one, since an empty selector matches every pod of its namespace. */
const podLabels = z.record(z.string().min(1), z.string()).refine((value) => Object.keys(value).length > 0, 'must name at least one label (an empty selector matches every pod)');

/** The profile's image fields, each also an entry of images.lock.json. */
export const IMAGE_FIELDS = ['natterApi', 'linkPreview', 'postgres', 'cloudNativePgPostgres'] as const;
export type ImageField = (typeof IMAGE_FIELDS)[number];

/** The image field of the PostgreSQL each engine runs; the other one is not used. */
export const DATABASE_IMAGE_FIELD = { 'cloudnative-pg': 'cloudNativePgPostgres', statefulset: 'postgres' } as const satisfies Record<DatabaseEngine, ImageField>;

const image = z
  .string()
  .regex(IMAGE, 'must be an image reference such as registry.example/name:1.2.3 or name@sha256:<64 hex>')
  .refine((value) => !/:latest(@|$)/.test(value), 'must not use the tag latest: it moves under you')
  .refine((value) => /@sha256:|:[\w][\w.-]*$/.test(value.replace(/^[^/]*:\d+\//, '')), 'must carry a tag or a digest');

const cidr = z.string().refine(isCidr, 'must be a CIDR range such as 192.168.49.0/24 or fd00::/8');

const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be one origin such as https://app.example.com (scheme, host, optional port; no path or trailing slash)');

function replicas(defaultValue: number) {
  return z.int().min(1).max(100).default(defaultValue).describe('Pods of the Deployment; 2 or more adds a PodDisruptionBudget and topology spread.');
}

interface ResourceDefaults {
  readonly cpuRequest: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

function resources(defaults: ResourceDefaults) {
  return z
    .strictObject({
      cpuRequest: z.string().regex(MILLICORES, 'must be millicores such as 100m').default(defaults.cpuRequest).describe('CPU the scheduler reserves.'),
      cpuLimit: z.string().regex(MILLICORES, 'must be millicores such as 500m').optional().describe('CPU ceiling; unset means none (a limit throttles latency-sensitive work).'),
      memoryRequest: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 256Mi').default(defaults.memoryRequest).describe('Memory the scheduler reserves.'),
      memoryLimit: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 512Mi').default(defaults.memoryLimit).describe('Memory ceiling; the container is killed above it.'),
    })
    .prefault({})
    .describe('Requests and limits of the workload\'s container.');
}

/**
 * The CloudNativePG Cluster (database.engine cloudnative-pg). Only what has no safe default is
 * required: where the Kubernetes API server is (the instances must reach it through the
 * NetworkPolicies, and no address fits every cluster).
 */
const cloudNativePg = z.strictObject({
  instances: z
    .int()
    .min(3)
    .max(9)
    .default(3)
    .describe('PostgreSQL instances (one primary, the rest hot standbys), each on its own node. At least 3: the synchronous quorum needs two standbys to survive losing one.'),
  synchronousStandbys: z
    .int()
    .min(1)
    .default(1)
    .describe('How many standbys must confirm a commit before the client is told it succeeded (quorum: any of them); must be below instances.'),
  postgresMajorVersion: z
    .int()
    .min(14)
    .max(18)
    .default(16)
    .describe('PostgreSQL major version of images.cloudNativePgPostgres (the ImageCatalog entry; the operator refuses a downgrade).'),
  walStorage: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 10Gi').default('10Gi').describe("Size of each instance's separate WAL volume (a full WAL volume stops writes; a full data volume does not lose WAL)."),
  operator: z
    .strictObject({
      namespace: dnsLabel.default('cnpg-system').describe('Namespace of the CloudNativePG operator.'),
      podLabels: podLabels
        .default({ 'app.kubernetes.io/name': 'cloudnative-pg' })
        .describe("Labels of the operator's pods: the only clients of the instances' status port (8000) besides the instances."),
    })
    .prefault({})
    .describe('Where the operator runs (defaults match its release manifest).'),
  kubernetesApiServer: z
    .strictObject({
      cidrs: z.array(cidr).min(1).describe('Addresses of the API server endpoints (`kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`): NetworkPolicies see the endpoint after the Service is translated.'),
      port: z.int().min(1).max(65535).default(6443).describe('Port of those endpoints (6443 on kubeadm clusters; 443 on some managed ones).'),
    })
    .describe('The Kubernetes API server, which every instance manager (and the backup sidecar) talks to.'),
  backup: z
    .strictObject({
      destinationPath: z
        .string()
        .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[\w.\/-]*)?$/, 'must be s3://<bucket>[/<path>] such as s3://natter-backups/prod')
        .describe('Where base backups and archived WAL go (an S3-compatible bucket and prefix), under <serverName>/.'),
      endpointUrl: z
        .url({ protocol: /^https$/ })
        .optional()
        .describe("The object store's endpoint (https only); unset means AWS S3."),
      endpointCidrs: z
        .array(cidr)
        .min(1)
        .optional()
        .describe("The object store endpoint's addresses: the instances may reach only them (on the endpoint's port). Unset: any public address on that port, every private, loopback, link-local and metadata range excepted."),
      credentialsSecret: dnsName
        .default('natter-backup-credentials')
        .describe('The Secret (created outside git) with the keys ACCESS_KEY_ID and ACCESS_SECRET_KEY of an identity that may write under destinationPath.'),
      retentionPolicy: z
        .string()
        .regex(/^[1-9]\d*[dwm]$/, 'must be a number and d, w or m such as 30d')
        .default('30d')
        .describe('How far back a restore can go: older base backups and WAL are deleted (days, weeks, months).'),
      schedule: z
        .string()
        .regex(/^\S+( \S+){5}$/, "must be a six-field cron expression with seconds first, such as '0 0 3 * * *'")
        .default('0 0 3 * * *')
        .describe('When the operator takes a base backup (six fields, seconds first; the first one is taken at once). WAL is archived continuously besides.'),
      serverName: dnsLabel
        .optional()
        .describe('The folder under destinationPath this cluster archives to. Default: the Cluster name; a cluster restored from it must archive under a new name.'),
    })
    .describe('Continuous WAL archiving and scheduled base backups through the Barman Cloud plugin.'),
  restore: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Bootstrap the Cluster by recovery from the backups of sourceServerName instead of an empty initdb (README, "Restore"). Takes effect only when the Cluster is created.'),
      sourceServerName: dnsLabel.default(DATABASE_CLUSTER_NAME).describe('The serverName whose base backups and WAL the Cluster is recovered from.'),
      pointInTime: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('Recover up to this moment (RFC 3339 with an offset, e.g. 2026-12-06T10:00:00Z); unset means up to the last archived WAL.'),
    })
    .prefault({})
    .describe('Disaster recovery from the object store.'),
});

/** The model: one zod schema holds every setting's type, default, documentation and rules. */
export const settingsSchema = z
  .strictObject({
    outputDirectory: z
      .string()
      .regex(/^(\.|[a-z0-9][a-z0-9-]*)$/, "must be '.' or one lower-case directory name")
      .refine((value) => value !== 'argocd', "must not be 'argocd' (the Argo CD Applications live there)")
      .optional()
      .describe("Where under dist/ the profile's YAML goes; '.' is dist/ itself (what `kubectl apply -f dist/` deploys). Default: the profile's name."),
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d+$/, 'must be a Kubernetes minor version such as 1.33')
      .refine((value) => kubernetesMinor(value) >= MIN_KUBERNETES_MINOR, `must be 1.${MIN_KUBERNETES_MINOR} or later: the migration Job's proxy runs as a native sidecar`)
      .default('1.33')
      .describe("The oldest Kubernetes minor the profile's clusters run: pins Pod Security Admission's policy version (and so `npm run check`'s target) and gates the fields below."),
    pods: z
      .strictObject({
        appArmor: z
          .boolean()
          .optional()
          .describe("securityContext.appArmorProfile: RuntimeDefault on every pod (Kubernetes >= 1.30; the kubelet then refuses pods on nodes without AppArmor). Default: on from 1.30."),
        userNamespaces: z
          .boolean()
          .optional()
          .describe('hostUsers: false on every pod (Kubernetes >= 1.33 or the UserNamespacesSupport gate, containerd >= 2.0 or CRI-O >= 1.25, Linux >= 6.3 with idmapped mounts on the volume\'s filesystem). Default: on from 1.33.'),
      })
      .prefault({})
      .describe('Pod-level hardening that depends on the nodes (see kubernetesVersion).'),
    namespaceBudget: z
      .strictObject({
        requestsCpu: z.string().regex(MILLICORES, 'must be millicores such as 4000m').default('4000m').describe('ResourceQuota: CPU requests of all pods together.'),
        requestsMemory: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 8Gi').default('8Gi').describe('ResourceQuota: memory requests of all pods together.'),
        limitsMemory: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 16Gi').default('16Gi').describe('ResourceQuota: memory limits of all pods together.'),
        pods: z.int().min(1).default(30).describe('ResourceQuota: pods at once (rollouts add a surge pod per Deployment).'),
        persistentVolumeClaims: z.int().min(1).default(4).describe('ResourceQuota: PersistentVolumeClaims.'),
        requestsStorage: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 100Gi').default('100Gi').describe('ResourceQuota: storage of all claims together.'),
        containerDefaults: z
          .strictObject({
            cpuRequest: z.string().regex(MILLICORES, 'must be millicores such as 50m').default('50m').describe('CPU request of a container that declares none.'),
            memoryRequest: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 64Mi').default('64Mi').describe('Memory request of a container that declares none.'),
            memoryLimit: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 256Mi').default('256Mi').describe('Memory limit of a container that declares none.'),
          })
          .prefault({})
          .describe("LimitRange defaults for containers that declare no resources: Linkerd's injected proxy and init containers (the quota would otherwise refuse their pods)."),
        maxContainerMemory: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 4Gi').default('4Gi').describe('LimitRange: the largest memory limit one container may have.'),
        maxClaimStorage: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 50Gi').default('50Gi').describe('LimitRange: the largest PersistentVolumeClaim.'),
      })
      .prefault({})
      .describe('ResourceQuota and LimitRange of the namespace: a ceiling one runaway or compromised workload cannot push the cluster past. NodePort Services are capped at what the profile declares, LoadBalancers at 0.'),
    monitoring: z
      .strictObject({
        namespace: dnsLabel.default('linkerd-viz').describe('Namespace of the Prometheus that scrapes the Linkerd proxies.'),
        serviceAccount: dnsLabel.default('prometheus').describe('Its ServiceAccount: the only mesh identity admitted to the proxies\' admin port (it must be meshed).'),
        podLabels: podLabels
          .default({ 'linkerd.io/extension': 'viz', component: 'prometheus' })
          .describe('Labels of its pods: the only pods the NetworkPolicies admit to the admin port.'),
      })
      .optional()
      .describe("Admit one meshed Prometheus to every proxy's metrics (admin port 4191); defaults match linkerd-viz. Unset: the port stays closed."),
    dns: z
      .strictObject({
        nodeLocalCache: z
          .strictObject({
            address: z.ipv4().default('169.254.20.10').describe("The link-local address node-local-dns listens on (its `-localip`)."),
            port: z.int().min(1).max(65535).default(53).describe('Its port.'),
          })
          .optional()
          .describe('The cluster runs NodeLocal DNSCache: pods may also query it (UDP and TCP). Unset: only the kube-dns pods.'),
      })
      .prefault({})
      .describe('Where pods resolve names (NetworkPolicy DNS egress).'),
    meshMode: z.enum(MESH_MODES).default('linkerd-cni').describe('linkerd-cni (namespace enforces restricted) or linkerd-init (needs privileged); see charts/README.md.'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('LOG_LEVEL of the API, link-preview and the migration.'),
    images: z
      .strictObject({
        natterApi: image.optional().describe('The Natter API image (also runs the migration). Default: its entry in images.lock.json.'),
        linkPreview: image.optional().describe('The link-preview image. Default: its entry in images.lock.json.'),
        postgres: image.optional().describe('The official PostgreSQL image, Debian variant (handles a non-root UID), for database.engine statefulset. Default: its entry in images.lock.json.'),
        cloudNativePgPostgres: image
          .optional()
          .describe('A CloudNativePG operand image (ghcr.io/cloudnative-pg/postgresql, of database.cloudNativePg.postgresMajorVersion) for database.engine cloudnative-pg. Default: its entry in images.lock.json.'),
        pullPolicy: z.enum(IMAGE_PULL_POLICIES).default('IfNotPresent').describe('imagePullPolicy of every container.'),
        requireDigest: z.boolean().default(true).describe('Refuse any image not pinned by digest (name@sha256:<64 hex>): a tag can be moved under you.'),
        requireReleased: z
          .boolean()
          .default(true)
          .describe('Run only released builds: every image is its entry in images.lock.json (written by `npm run images`), any other is refused.'),
      })
      .prefault({})
      .describe('Container images: the released ones from images.lock.json unless requireReleased is false and the profile names its own.'),
    api: z
      .strictObject({
        replicas: replicas(2),
        resources: resources({ cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' }),
        corsOrigin: origin.optional().describe('The one browser origin the API answers CORS requests for; unset means none.'),
        rateLimit: rateLimitSettings,
        basicAuthCache: z
          .strictObject({
            ttlSeconds: z
              .int()
              .min(0)
              .max(3600)
              .default(300)
              .describe('How long a successful Basic verification is honoured without scrypt, from the verification (BASIC_AUTH_CACHE_TTL_SECONDS); 0 disables the cache.'),
            maxEntries: z.int().min(1).max(1_000_000).default(10_000).describe('Users each replica remembers at most (BASIC_AUTH_CACHE_MAX_ENTRIES), about 0.7 KiB each.'),
          })
          .prefault({})
          .describe("Each replica's in-memory cache of successful Basic logins (natter-api README, \"Tokens and passwords\"): a password change ends an entry at once on every replica."),
        databasePoolMax: z
          .int()
          .min(MIN_POOL)
          .max(100)
          .optional()
          .describe(
            `DATABASE_POOL_MAX of each replica: the PostgreSQL connections one pod may hold. Default: ${MEASURED_POOL_MAX} (measured: a bigger pool is no faster, charts/src/database-connections.ts), or less when the replicas at a rollout's peak would not fit into database.maxConnections (charts/README.md, "Database connections"); a value that does not fit is refused.`,
          ),
        nodePort: z
          .strictObject({
            port: z.int().min(30000).max(32767).describe('The node port (30000-32767).'),
            clientCidrs: z.array(cidr).min(1).describe('The only source ranges admitted through it under default-deny (kube-proxy may SNAT to the node address).'),
          })
          .optional()
          .describe('Expose the API on a node port too (minikube); unset means ClusterIP behind the edge only.'),
      })
      .prefault({})
      .describe('The Natter API Deployment.'),
    linkPreview: z
      .strictObject({
        replicas: replicas(2),
        resources: resources({ cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' }),
      })
      .prefault({})
      .describe('The link-preview Deployment.'),
    database: z
      .strictObject({
        engine: z.enum(DATABASE_ENGINES).default('cloudnative-pg').describe('cloudnative-pg (replicated, backed up; needs the operator) or statefulset (one pod, for minikube); see charts/README.md.'),
        storage: z.string().regex(BINARY_SIZE, 'must be a size in Mi or Gi such as 10Gi').default('10Gi').describe('Size of the PersistentVolumeClaim holding PGDATA (per instance).'),
        storageClassName: z.string().min(1).optional().describe("StorageClass of the claims (data and WAL); unset means the cluster's default."),
        resources: resources({ cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' }),
        maxConnections: z
          .int()
          .min(20)
          .max(10_000)
          .default(100)
          .describe(
            "PostgreSQL's max_connections (both engines; every CloudNativePG instance). Each connection is a server process with its own memory: raise it with database.resources. The API's pools are sized to fit (charts/README.md, \"Database connections\").",
          ),
        cloudNativePg: cloudNativePg.optional().describe('The CloudNativePG Cluster; required when engine is cloudnative-pg, refused otherwise.'),
      })
      .prefault({})
      .describe('PostgreSQL.'),
    migration: z
      .strictObject({
        resources: resources({ cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' }),
      })
      .prefault({})
      .describe('The migration Job.'),
    edge: edgeSettings,
    secrets: z
      .strictObject({
        externalSecrets: z
          .strictObject({
            storeKind: z.enum(SECRET_STORE_KINDS).default('ClusterSecretStore').describe('Kind of the External Secrets Operator store the values come from.'),
            storeName: dnsName.describe('Name of that store (created by whoever runs the secret manager; a SecretStore lives in natter-api).'),
            refreshInterval: z
              .string()
              .regex(/^[1-9]\d*(s|m|h)$/, 'must be a duration such as 1h, 15m or 30s')
              .default('1h')
              .describe('How often the operator re-reads the store: the longest a rotated value takes to reach the Secret.'),
            remoteKeys: z
              .record(
                z.string().regex(DNS_NAME, 'must be a Secret name such as natter-api-hmac-key'),
                z.strictObject({
                  key: z.string().min(1).describe('The entry in the store.'),
                  property: z.string().min(1).optional().describe('The field inside that entry, for stores whose entries hold several (Vault KV, JSON values). Default: the whole entry.'),
                }),
              )
              .describe('Where each Secret the pods mount comes from, by Secret name: exactly the Secrets the chart mounts, no more, no fewer.'),
          })
          .optional()
          .describe('Materialize every Secret the pods mount with External Secrets Operator ExternalSecrets (external-secrets.io/v1). Unset: the Secrets are created by hand (README, minikube step 5).'),
      })
      .prefault({})
      .describe('Where the Secrets the pods mount come from; their values never appear in dist/.'),
    gitOps: z
      .strictObject({
        repoURL: z
          .url({ protocol: /^(https|ssh)$/ })
          .default('https://github.com/natter/natter-on-kubernetes.git')
          .describe("This repository: where the Application reads dist/ and the only source its AppProject admits."),
        targetRevision: z
          .string()
          .regex(GIT_REVISION, 'must be a branch, tag or commit such as main, release/v1.4.0 or v1.4.0')
          .optional()
          .describe(
            'The branch, tag or commit Argo CD syncs. Required when images.requireReleased is true, and then a release (release/<version> branch or v<semver> tag): main moves with every merge. Default (development profiles): main.',
          ),
        destinationServer: z
          .url({ protocol: /^https$/ })
          .default(IN_CLUSTER_SERVER)
          .describe("The cluster's API server as Argo CD knows it; the AppProject admits no other. Default: the cluster Argo CD runs in."),
      })
      .prefault({})
      .describe('Argo CD: the Application and its AppProject (charts/src/argocd.ts).'),
  })
  .superRefine((settings, context) => {
    const minor = kubernetesMinor(settings.kubernetesVersion);
    for (const [field, since] of [['appArmor', APPARMOR_MINOR], ['userNamespaces', USER_NAMESPACES_MINOR]] as const) {
      if (settings.pods[field] === true && minor < since) {
        context.addIssue({ code: 'custom', path: ['pods', field], input: true, message: `needs kubernetesVersion 1.${since} or later (it is ${settings.kubernetesVersion}): an older API server drops the field` });
      }
    }
    if (settings.images.requireReleased && !RELEASE_REVISION.test(settings.gitOps.targetRevision ?? '')) {
      context.addIssue({
        code: 'custom',
        path: ['gitOps', 'targetRevision'],
        input: settings.gitOps.targetRevision,
        message: 'must name a release (a release/<version> branch such as release/v1.4.0, or a tag such as v1.4.0) because images.requireReleased is true: a moving branch would deploy whatever was merged last',
      });
    }
    for (const issue of rateLimitIssues(settings.api)) context.addIssue(issue);
    for (const issue of connectionIssues(settings)) context.addIssue(issue);
    const { engine, cloudNativePg: cluster } = settings.database;
    if (engine === 'cloudnative-pg' && cluster === undefined) {
      context.addIssue({ code: 'custom', path: ['database', 'cloudNativePg'], input: undefined, message: 'is required when database.engine is cloudnative-pg (at least kubernetesApiServer.cidrs); or set database.engine: statefulset' });
    }
    if (engine !== 'cloudnative-pg' && cluster !== undefined) {
      context.addIssue({ code: 'custom', path: ['database', 'cloudNativePg'], input: cluster, message: `applies only to database.engine cloudnative-pg, not ${engine}; remove it` });
    }
    if (cluster?.restore.enabled && (cluster.backup.serverName ?? DATABASE_CLUSTER_NAME) === cluster.restore.sourceServerName) {
      context.addIssue({
        code: 'custom',
        path: ['database', 'cloudNativePg', 'backup', 'serverName'],
        input: cluster.backup.serverName,
        message: `must differ from restore.sourceServerName (${cluster.restore.sourceServerName}) while restore is enabled: the recovered cluster would archive into the history it recovers from (e.g. ${cluster.restore.sourceServerName}-r1)`,
      });
    }
    if (cluster !== undefined && cluster.synchronousStandbys >= cluster.instances) {
      context.addIssue({ code: 'custom', path: ['database', 'cloudNativePg', 'synchronousStandbys'], input: cluster.synchronousStandbys, message: `must be below instances (${cluster.instances}): the primary is not its own standby` });
    }
    const operand = settings.images.cloudNativePgPostgres;
    // The tag's leading number, as the operator reads it (the digest and a registry port are not tags).
    const taggedMajor = operand === undefined ? undefined : /:(\d+)[^/:]*$/.exec(operand.replace(/@sha256:.*$/, '').replace(/^[^/]*:\d+\//, ''))?.[1];
    if (cluster !== undefined && taggedMajor !== undefined && Number(taggedMajor) !== cluster.postgresMajorVersion) {
      context.addIssue({ code: 'custom', path: ['images', 'cloudNativePgPostgres'], input: operand, message: `must be PostgreSQL ${cluster.postgresMajorVersion} (database.cloudNativePg.postgresMajorVersion), but its tag says ${taggedMajor}` });
    }
    const unusedImage = DATABASE_IMAGE_FIELD[engine === 'cloudnative-pg' ? 'statefulset' : 'cloudnative-pg'];
    for (const field of IMAGE_FIELDS) {
      if (!settings.images.requireReleased && settings.images[field] === undefined && field !== unusedImage) {
        context.addIssue({ code: 'custom', path: ['images', field], input: undefined, message: `must be set because images.requireReleased is false (the image does not come from images.lock.json)${field === DATABASE_IMAGE_FIELD[engine] ? ` and database.engine is ${engine}` : ''}` });
      }
    }
    if (settings.images.requireDigest) {
      for (const field of IMAGE_FIELDS) {
        const value = settings.images[field];
        if (value !== undefined && !DIGEST.test(value)) {
          context.addIssue({ code: 'custom', path: ['images', field], input: value, message: 'must be pinned by digest (name@sha256:<64 hex>) because images.requireDigest is true' });
        }
      }
    }
    for (const workload of ['api', 'linkPreview', 'database', 'migration'] as const) {
      const { cpuRequest, cpuLimit, memoryRequest, memoryLimit } = settings[workload].resources;
      if (cpuLimit !== undefined && millicores(cpuLimit) < millicores(cpuRequest)) {
        context.addIssue({ code: 'custom', path: [workload, 'resources', 'cpuLimit'], input: cpuLimit, message: `must be at least cpuRequest (${cpuRequest})` });
      }
      if (mebibytes(memoryLimit) < mebibytes(memoryRequest)) {
        context.addIssue({ code: 'custom', path: [workload, 'resources', 'memoryLimit'], input: memoryLimit, message: `must be at least memoryRequest (${memoryRequest})` });
      }
    }
  });

/** A profile's settings as written in its file (everything with a default may be left out). */
export type NatterSettingsInput = z.input<typeof settingsSchema>;
/** A profile's settings with every default filled in. */
export type NatterSettings = z.output<typeof settingsSchema>;
export type ResourceSettings = NatterSettings['api']['resources'];

/** `100m` → 100. */
export function millicores(quantity: string): number {
  return Number(quantity.slice(0, -1));
}

/** `256Mi` → 256, `1Gi` → 1024. */
export function mebibytes(quantity: string): number {
  const amount = Number(quantity.slice(0, -2));
  return quantity.endsWith('Gi') ? amount * 1024 : amount;
}

function isCidr(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  if (prefix === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255) && Number(prefix) <= 32;
  return /^[0-9a-f:]+$/i.test(address) && address.includes(':') && Number(prefix) <= 128;
}
