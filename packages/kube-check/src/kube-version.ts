import { type Manifest, objectId } from './manifest.js';
import type { Problem } from './problem.js';

/**
 * The Kubernetes version the manifests must run on, and what an older or newer cluster would do
 * with them. The OpenAPI schema itself is kubernetes-models 4.5.1's, generated from Kubernetes
 * 1.33.0; these tables add what that one schema cannot say: APIs removed before or served only after
 * the target, and fields an older API server would silently drop (it prunes unknown fields).
 */
export const SCHEMA_KUBERNETES_VERSION = '1.33';

export interface TargetVersion {
  /** `1.27`. */
  readonly version: string;
  readonly minor: number;
  /** Where it came from, for the summary line. */
  readonly source: string;
}

export function parseKubeVersion(text: string): number {
  const match = /^v?1\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  if (!match) throw new Error(`not a Kubernetes version: ${JSON.stringify(text)} (expected 1.<minor>, e.g. 1.30)`);
  return Number(match[1]);
}

const PSA_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';

/**
 * `--kube-version` when given; else the version the namespaces pin their Pod Security policy to
 * (a profile pins the policy of the oldest Kubernetes it supports; the newest pin wins); else the schema's.
 */
export function targetVersion(objects: readonly Manifest[], override?: string): TargetVersion {
  if (override !== undefined) return { version: `1.${parseKubeVersion(override)}`, minor: parseKubeVersion(override), source: '--kube-version' };
  const pins = objects
    .filter((object) => object.kind === 'Namespace')
    .flatMap((object) => {
      const value = object.metadata?.labels?.[PSA_VERSION_LABEL];
      return value && /^v1\.\d+$/.test(value) ? [{ minor: parseKubeVersion(value), from: objectId(object) }] : [];
    })
    .sort((a, b) => b.minor - a.minor);
  const newest = pins[0];
  if (newest) return { version: `1.${newest.minor}`, minor: newest.minor, source: `${PSA_VERSION_LABEL} of ${newest.from}` };
  return { version: SCHEMA_KUBERNETES_VERSION, minor: parseKubeVersion(SCHEMA_KUBERNETES_VERSION), source: 'the schema version (no version pinned in the manifests)' };
}

/** group/version → the minor that stopped serving it, and what replaces it. */
const REMOVED_APIS: Readonly<Record<string, { removed: number; use: string }>> = {
  'extensions/v1beta1': { removed: 22, use: 'apps/v1, networking.k8s.io/v1' },
  'apps/v1beta1': { removed: 16, use: 'apps/v1' },
  'apps/v1beta2': { removed: 16, use: 'apps/v1' },
  'networking.k8s.io/v1beta1': { removed: 22, use: 'networking.k8s.io/v1' },
  'rbac.authorization.k8s.io/v1beta1': { removed: 22, use: 'rbac.authorization.k8s.io/v1' },
  'apiextensions.k8s.io/v1beta1': { removed: 22, use: 'apiextensions.k8s.io/v1' },
  'admissionregistration.k8s.io/v1beta1': { removed: 22, use: 'admissionregistration.k8s.io/v1' },
  'policy/v1beta1': { removed: 25, use: 'policy/v1 (PodSecurityPolicy: Pod Security Admission)' },
  'batch/v1beta1': { removed: 25, use: 'batch/v1' },
  'autoscaling/v2beta1': { removed: 25, use: 'autoscaling/v2' },
  'autoscaling/v2beta2': { removed: 26, use: 'autoscaling/v2' },
  'discovery.k8s.io/v1beta1': { removed: 25, use: 'discovery.k8s.io/v1' },
  'events.k8s.io/v1beta1': { removed: 25, use: 'events.k8s.io/v1' },
  'flowcontrol.apiserver.k8s.io/v1beta2': { removed: 29, use: 'flowcontrol.apiserver.k8s.io/v1' },
  'flowcontrol.apiserver.k8s.io/v1beta3': { removed: 32, use: 'flowcontrol.apiserver.k8s.io/v1' },
};

/** group/version(|kind) → the minor from which it is served by default. */
const SERVED_SINCE: Readonly<Record<string, number>> = {
  'policy/v1': 21,
  'batch/v1|CronJob': 21,
  'discovery.k8s.io/v1': 21,
  'autoscaling/v2': 23,
  'flowcontrol.apiserver.k8s.io/v1': 29,
  'admissionregistration.k8s.io/v1|ValidatingAdmissionPolicy': 30,
  'admissionregistration.k8s.io/v1|ValidatingAdmissionPolicyBinding': 30,
  'networking.k8s.io/v1|IPAddress': 33,
  'networking.k8s.io/v1|ServiceCIDR': 33,
};

/** Fields (dotted, `[]` for any list item) and the minor from which the API server keeps them by default. */
const NEWER_FIELDS: readonly { readonly pattern: RegExp; readonly since: number; readonly what: string }[] = [
  { pattern: /\.appArmorProfile$/, since: 30, what: 'securityContext.appArmorProfile' },
  { pattern: /initContainers\[\]\.restartPolicy$/, since: 29, what: 'native sidecar containers (initContainers[].restartPolicy)' },
  { pattern: /\.lifecycle\.(preStop|postStart)\.sleep$/, since: 30, what: 'the sleep lifecycle action' },
  { pattern: /volumeMounts\[\]\.recursiveReadOnly$/, since: 31, what: 'volumeMounts[].recursiveReadOnly' },
  { pattern: /topologySpreadConstraints\[\]\.matchLabelKeys$/, since: 27, what: 'topologySpreadConstraints[].matchLabelKeys' },
  { pattern: /topologySpreadConstraints\[\]\.(nodeAffinityPolicy|nodeTaintsPolicy)$/, since: 26, what: 'topologySpreadConstraints node policies' },
  { pattern: /^spec\.podFailurePolicy$/, since: 26, what: 'Job spec.podFailurePolicy' },
  { pattern: /^spec\.(backoffLimitPerIndex|maxFailedIndexes|podReplacementPolicy)$/, since: 29, what: 'Job per-index backoff / pod replacement policy' },
  { pattern: /^spec\.successPolicy$/, since: 31, what: 'Job spec.successPolicy' },
  { pattern: /^spec\.managedBy$/, since: 32, what: 'Job spec.managedBy' },
  { pattern: /^spec\.unhealthyPodEvictionPolicy$/, since: 27, what: 'PodDisruptionBudget spec.unhealthyPodEvictionPolicy' },
  { pattern: /^spec\.persistentVolumeClaimRetentionPolicy$/, since: 27, what: 'StatefulSet spec.persistentVolumeClaimRetentionPolicy' },
  { pattern: /^spec\.trafficDistribution$/, since: 31, what: 'Service spec.trafficDistribution' },
  { pattern: /\.resizePolicy$/, since: 33, what: 'in-place pod resize (containers[].resizePolicy)' },
];

function* fieldPaths(value: unknown, path: string, pattern: string): Generator<{ path: string; pattern: string }> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const name = item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' ? (item as { name: string }).name : String(index);
      yield* fieldPaths(item, `${path}[${name}]`, `${pattern}[]`);
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (path === '' && (key === 'metadata' || key === 'status')) continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      const childPattern = pattern === '' ? key : `${pattern}.${key}`;
      yield { path: childPath, pattern: childPattern };
      yield* fieldPaths(child, childPath, childPattern);
    }
  }
}

/** What the target version cannot serve (FAIL) and fields it would silently drop (WARN). */
export function versionProblems(objects: readonly Manifest[], target: TargetVersion): { removed: Problem[]; newer: Problem[] } {
  const removed: Problem[] = [];
  const newer: Problem[] = [];
  for (const object of objects) {
    const id = objectId(object);
    const gone = REMOVED_APIS[object.apiVersion];
    if (gone && target.minor >= gone.removed) {
      removed.push({ object: id, field: 'apiVersion', message: `${object.apiVersion} ${object.kind} is no longer served since Kubernetes 1.${gone.removed}; use ${gone.use}` });
    }
    const since = SERVED_SINCE[`${object.apiVersion}|${object.kind}`] ?? SERVED_SINCE[object.apiVersion];
    if (since !== undefined && target.minor < since) {
      removed.push({ object: id, field: 'apiVersion', message: `${object.apiVersion} ${object.kind} is served from Kubernetes 1.${since}; the target is ${target.version}` });
    }
    for (const { path, pattern } of fieldPaths(object, '', '')) {
      for (const field of NEWER_FIELDS) {
        if (target.minor < field.since && field.pattern.test(pattern)) {
          newer.push({ object: id, field: path, message: `${field.what} needs Kubernetes 1.${field.since}; an older API server drops it silently (target ${target.version})` });
        }
      }
    }
  }
  return { removed, newer };
}
