import { ImagePullPolicy } from '@natter/constructs';
import { lockedImages } from './image-lock.js';

/**
 * How pods join the Linkerd mesh, which decides the namespace's Pod Security Admission level:
 * - `linkerd-cni` (default): the linkerd-cni DaemonSet sets up iptables on the node, the injector
 *   adds only a restricted-compliant `linkerd-network-validator`, so the namespace ENFORCES
 *   `restricted`.
 * - `linkerd-init`: Linkerd's default install adds a `linkerd-init` container that runs as root
 *   with NET_ADMIN and NET_RAW; baseline and restricted both reject it, so the namespace must
 *   enforce `privileged` (audit and warn stay `restricted`, so anything else still shows up).
 */
export type MeshMode = 'linkerd-cni' | 'linkerd-init';
export const MESH_MODES: readonly MeshMode[] = ['linkerd-cni', 'linkerd-init'];

export type ProfileName = 'dev' | 'prod';
export const PROFILE_NAMES: readonly ProfileName[] = ['dev', 'prod'];

/** One environment: everything that differs between dev and prod, and nothing else. */
export interface NatterProfile {
  readonly name: ProfileName;
  /** Directory (relative to the output root) the profile's YAML is written to. */
  readonly outputSubdirectory: string;
  readonly meshMode: MeshMode;
  readonly images: {
    readonly natterApi: string;
    readonly linkPreview: string;
    readonly postgres: string;
  };
  readonly imagePullPolicy: ImagePullPolicy;
  /** Reject any image not pinned by digest (`name@sha256:<64 hex>`): a tag can be moved under you. */
  readonly requireDigestPinnedImages: boolean;
  /** Replicas of the API and link-preview Deployments (>= 2 adds PDBs and topology spread). */
  readonly replicas: number;
  /** Expose the API on this node port (minikube); undefined = ClusterIP behind the Ingress only. */
  readonly apiNodePort?: number;
  /**
   * Source CIDRs allowed to reach the API through its node port. Under default-deny, node-port
   * traffic is only admitted from here (kube-proxy may SNAT it to the node's address).
   */
  readonly nodePortClientCidrs: readonly string[];
  readonly ingress: {
    readonly host: string;
    readonly tlsSecretName: string;
    readonly className: string;
    /** Namespace and pod labels of the ingress controller (the only in-cluster client of the API). */
    readonly controllerNamespace: string;
    readonly controllerPodLabels: Readonly<Record<string, string>>;
    /** The controller's ServiceAccount: its Linkerd identity, the only one the API accepts over mTLS. */
    readonly controllerServiceAccount: string;
  };
  readonly logLevel: 'debug' | 'info' | 'warn';
  /** The one browser origin the API answers CORS requests for. */
  readonly corsOrigin: string;
  readonly database: {
    readonly storageGibibytes: number;
    /** undefined = the cluster's default StorageClass. */
    readonly storageClassName?: string;
  };
  /** Where Argo CD finds this repository. */
  readonly gitOps: {
    readonly repoURL: string;
    readonly targetRevision: string;
  };
}

/**
 * PostgreSQL from the official image, Debian variant (its entrypoint supports an arbitrary,
 * non-root UID through nss_wrapper). The tag pins the minor version for dev.
 */
export const POSTGRES_IMAGE_TAG = 'postgres:16.10-bookworm';

/**
 * Prod images are pinned by digest; these are the values to replace when promoting a build.
 * PLACEHOLDERS: synthesis runs offline and cannot know what CI pushed, so they are all-zero
 * digests that no registry serves — a prod deploy fails closed (ErrImagePull) until they are set to
 * the digests the registry reports (`docker buildx imagetools inspect <image>:<tag>`).
 */
export const PROD_REGISTRY = 'registry.natter.example';
const UNSET_DIGEST = `sha256:${'0'.repeat(64)}`;
export const PROD_NATTER_API_DIGEST = UNSET_DIGEST;
export const PROD_LINK_PREVIEW_DIGEST = UNSET_DIGEST;
/** Digest of the multi-arch index of POSTGRES_IMAGE_TAG, mirrored into PROD_REGISTRY. */
export const PROD_POSTGRES_DIGEST = UNSET_DIGEST;

const INGRESS = {
  host: 'api.natter.local',
  tlsSecretName: 'natter-tls',
  className: 'nginx',
  // minikube's ingress addon and the upstream ingress-nginx manifests use these.
  controllerNamespace: 'ingress-nginx',
  controllerPodLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
  controllerServiceAccount: 'ingress-nginx',
} as const;

const GIT_OPS = { repoURL: 'https://github.com/natter/natter-on-kubernetes.git', targetRevision: 'main' } as const;

export const DEV: NatterProfile = {
  name: 'dev',
  outputSubdirectory: '.',
  meshMode: 'linkerd-cni',
  images: { natterApi: 'natter-api:dev', linkPreview: 'natter-link-preview:dev', postgres: POSTGRES_IMAGE_TAG },
  // Locally built into minikube's Docker; IfNotPresent also lets the kubelet pull postgres.
  imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
  requireDigestPinnedImages: false,
  replicas: 1,
  apiNodePort: 30567,
  // minikube's default docker-driver network (`minikube ip` is in it).
  nodePortClientCidrs: ['192.168.49.0/24'],
  ingress: INGRESS,
  logLevel: 'debug',
  corsOrigin: 'https://localhost:9999',
  database: { storageGibibytes: 1 },
  gitOps: GIT_OPS,
};

export const PROD: NatterProfile = {
  name: 'prod',
  outputSubdirectory: 'prod',
  meshMode: 'linkerd-cni',
  // Released images only: images.lock.json, written by `npm run images` (charts/src/image-lock.ts).
  images: lockedImages(),
  imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
  requireDigestPinnedImages: true,
  replicas: 2,
  nodePortClientCidrs: [],
  ingress: INGRESS,
  logLevel: 'info',
  corsOrigin: 'https://natter.local',
  database: { storageGibibytes: 10 },
  gitOps: GIT_OPS,
};

export const PROFILES: Readonly<Record<ProfileName, NatterProfile>> = { dev: DEV, prod: PROD };

/**
 * The profiles to synthesize: `NATTER_PROFILE=dev|prod` picks one, unset means all.
 * `NATTER_MESH_MODE=linkerd-cni|linkerd-init` overrides the mesh mode of every selected profile.
 */
export function selectProfiles(env: Readonly<Record<string, string | undefined>>): NatterProfile[] {
  const requested = env.NATTER_PROFILE;
  if (requested !== undefined && !PROFILE_NAMES.includes(requested as ProfileName)) {
    throw new Error(`NATTER_PROFILE must be one of ${PROFILE_NAMES.join(', ')}, got '${requested}'`);
  }
  const meshMode = env.NATTER_MESH_MODE;
  if (meshMode !== undefined && !MESH_MODES.includes(meshMode as MeshMode)) {
    throw new Error(`NATTER_MESH_MODE must be one of ${MESH_MODES.join(', ')}, got '${meshMode}'`);
  }
  const names = requested === undefined ? PROFILE_NAMES : [requested as ProfileName];
  return names.map((name) => (meshMode === undefined ? PROFILES[name] : { ...PROFILES[name], meshMode: meshMode as MeshMode }));
}

const DIGEST_PINNED = /@sha256:[0-9a-f]{64}$/;
const CIDR = /^[0-9a-f.:]+\/\d{1,3}$/i;

/** Throws, naming the field and the fix, when a profile is inconsistent. */
export function validateProfile(profile: NatterProfile): void {
  if (profile.requireDigestPinnedImages) {
    for (const [field, image] of Object.entries(profile.images)) {
      if (!DIGEST_PINNED.test(image)) {
        throw new Error(`profile ${profile.name}: images.${field} must be pinned by digest (name@sha256:<64 hex>), got '${image}'`);
      }
    }
  }
  if (!Number.isInteger(profile.replicas) || profile.replicas < 1) {
    throw new Error(`profile ${profile.name}: replicas must be an integer >= 1, got ${profile.replicas}`);
  }
  if (profile.apiNodePort !== undefined && profile.nodePortClientCidrs.length === 0) {
    throw new Error(`profile ${profile.name}: apiNodePort ${profile.apiNodePort} is unreachable under default-deny; list its clients in nodePortClientCidrs or drop apiNodePort`);
  }
  if (profile.apiNodePort === undefined && profile.nodePortClientCidrs.length > 0) {
    throw new Error(`profile ${profile.name}: nodePortClientCidrs [${profile.nodePortClientCidrs.join(', ')}] would open the API to them without a node port; remove them`);
  }
  for (const cidr of profile.nodePortClientCidrs) {
    if (!CIDR.test(cidr)) throw new Error(`profile ${profile.name}: nodePortClientCidrs entry '${cidr}' is not a CIDR such as 192.168.49.0/24`);
  }
}
