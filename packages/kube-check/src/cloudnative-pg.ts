import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { Manifest, PodTemplate } from './manifest.js';

/**
 * A CloudNativePG `Cluster` (postgresql.cnpg.io/v1) has no pod template: the operator creates its
 * instance pods (and the Jobs that initialise or join them) itself. This models those pods as the
 * operator v1.30 builds them (pkg/specs/pods.go, containers.go), so the NetworkPolicies, Pod
 * Security, Linkerd and the report see the database like any other workload:
 * - labels `cnpg.io/cluster: <name>`, `cnpg.io/podRole: instance` plus `inheritedMetadata.labels`;
 *   annotations `inheritedMetadata.annotations`;
 * - ServiceAccount `<name>` (the operator creates it, with a token: the instance manager uses the
 *   Kubernetes API);
 * - container `postgres` listening on 5432 (`postgresql`), 9187 (`metrics`), 8000 (`status`), probed
 *   on 8000; the pod and container security context the operator sets from `postgresUID`/`GID`,
 *   `seccompProfile`, `podSecurityContext` and `securityContext`.
 * What the model cannot know (the Barman Cloud sidecar a plugin adds, the exact volumes) is left
 * out; the pods on a real cluster are the final word.
 */
export const CLOUDNATIVE_PG_CLUSTER_API = 'postgresql.cnpg.io/v1';
export const CLOUDNATIVE_PG_DEFAULT_UID = 26;

interface ClusterSpec {
  readonly instances?: number;
  readonly imageName?: string;
  readonly imageCatalogRef?: { readonly kind?: string; readonly name?: string; readonly major?: number };
  readonly imagePullPolicy?: string;
  readonly postgresUID?: number;
  readonly postgresGID?: number;
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
  readonly podSecurityContext?: Record<string, unknown>;
  readonly securityContext?: Record<string, unknown>;
  readonly serviceAccountName?: string;
  readonly inheritedMetadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly resources?: Record<string, unknown>;
}

export function isCloudNativePgCluster(object: Manifest): boolean {
  return object.apiVersion === CLOUDNATIVE_PG_CLUSTER_API && object.kind === 'Cluster';
}

/** Where the modeled pod sits in messages: it has no place in the Cluster's YAML. */
export const INSTANCE_POD_PATH = '(instance pod)';

/** The instance pod the operator would create for `cluster` (see the module comment). */
export function cloudNativePgInstanceTemplate(cluster: Manifest, objects: readonly Manifest[], owner: string, namespace: string): PodTemplate {
  const name = cluster.metadata?.name ?? '<unnamed>';
  const spec = (cluster.spec ?? {}) as ClusterSpec;
  const uid = spec.postgresUID ?? CLOUDNATIVE_PG_DEFAULT_UID;
  const gid = spec.postgresGID ?? CLOUDNATIVE_PG_DEFAULT_UID;
  const seccompProfile = spec.seccompProfile ?? { type: 'RuntimeDefault' };
  const status = 8000;
  const podSpec: IPodSpec = {
    serviceAccountName: spec.serviceAccountName ?? name,
    // The operator's default, or the Cluster's own with only the UID, GID and seccomp profile filled in.
    securityContext: spec.podSecurityContext === undefined
      ? { runAsUser: uid, runAsGroup: gid, fsGroup: gid, runAsNonRoot: true, seccompProfile }
      : { runAsUser: uid, runAsGroup: gid, seccompProfile, ...spec.podSecurityContext },
    containers: [
      {
        name: 'postgres',
        image: operandImage(spec, objects, namespace),
        ...(spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy }),
        ports: [
          { name: 'postgresql', containerPort: 5432, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9187, protocol: 'TCP' },
          { name: 'status', containerPort: status, protocol: 'TCP' },
        ],
        securityContext: {
          seccompProfile,
          capabilities: { drop: ['ALL'] },
          privileged: false,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          ...spec.securityContext,
        },
        ...(spec.resources === undefined ? {} : { resources: spec.resources }),
        startupProbe: { httpGet: { path: '/startupz', port: status, scheme: 'HTTPS' } },
        readinessProbe: { httpGet: { path: '/readyz', port: status, scheme: 'HTTPS' } },
        livenessProbe: { httpGet: { path: '/healthz', port: status, scheme: 'HTTPS' } },
      },
    ],
  } as IPodSpec;
  return {
    owner,
    ownerKind: 'Cluster',
    name,
    namespace,
    labels: { ...spec.inheritedMetadata?.labels, 'cnpg.io/cluster': name, 'cnpg.io/podRole': 'instance' },
    annotations: { ...spec.inheritedMetadata?.annotations },
    spec: podSpec,
    templatePath: INSTANCE_POD_PATH,
    specPath: `${INSTANCE_POD_PATH}.spec`,
    source: cluster,
    createdByOperator: true,
  };
}

/** The Secrets the operator creates for a Cluster, which pods may mount (`<name>-ca` above all). */
export function cloudNativePgSecrets(cluster: Manifest): string[] {
  const name = cluster.metadata?.name ?? '<unnamed>';
  return [`${name}-ca`, `${name}-server`, `${name}-replication`];
}

/** `spec.imageName`, or the catalog entry of `imageCatalogRef.major` when the catalog is among the manifests. */
function operandImage(spec: ClusterSpec, objects: readonly Manifest[], namespace: string): string {
  if (spec.imageName !== undefined) return spec.imageName;
  const ref = spec.imageCatalogRef;
  if (ref === undefined) return '(the operator\'s default image)';
  const catalog = objects.find(
    (object) => object.apiVersion === CLOUDNATIVE_PG_CLUSTER_API && object.kind === ref.kind && object.metadata?.name === ref.name && (ref.kind === 'ClusterImageCatalog' || (object.metadata?.namespace ?? 'default') === namespace),
  );
  const images = ((catalog?.spec ?? {}) as { images?: { major?: number; image?: string }[] }).images ?? [];
  return images.find((entry) => entry.major === ref.major)?.image ?? `(${ref.kind ?? 'ImageCatalog'} ${ref.name ?? '?'}, major ${ref.major ?? '?'})`;
}
