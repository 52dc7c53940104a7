// Internal: the pod-template hardening shared by every hardened workload. Not exported.
import { Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-27';
import type { HardenedPodProps } from './hardened-pod-props.js';

/** Lowest UID/GID accepted by default (kubesec wants > 10000, kube-score fails < 10000). */
export const MIN_NON_ROOT_ID = 10001;

/** Numeric identity the pod runs as. */
export interface PodIdentity {
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup: number;
}

export function resolveIdentity(props: HardenedPodProps): PodIdentity {
  const runAsUser = props.runAsUser ?? MIN_NON_ROOT_ID;
  const runAsGroup = props.runAsGroup ?? MIN_NON_ROOT_ID;
  const identity = { runAsUser, runAsGroup, fsGroup: props.fsGroup ?? runAsGroup };
  const minimum = props.allowLowIds === true ? 1 : MIN_NON_ROOT_ID;
  for (const [field, value] of Object.entries(identity)) {
    if (!Number.isInteger(value) || value < minimum) {
      const fix =
        minimum === 1
          ? 'root (0) is never allowed'
          : `use ${MIN_NON_ROOT_ID} or above, or set allowLowIds: true for an image with a fixed low ID`;
      throw new Error(`${field} must be an integer >= ${minimum}, got ${value}; ${fix}`);
    }
  }
  return identity;
}

/** Pod-level securityContext meeting the Pod Security Standards "restricted" profile. */
export function podSecurityContext(identity: PodIdentity): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: identity.runAsUser,
    runAsGroup: identity.runAsGroup,
    fsGroup: identity.fsGroup,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level securityContext meeting the Pod Security Standards "restricted" profile. */
export function containerSecurityContext(identity: PodIdentity): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: identity.runAsUser,
    runAsGroup: identity.runAsGroup,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Host namespaces and links a hardened pod never uses, set explicitly so reviewers see them. */
export const POD_ISOLATION: Readonly<Pick<k8s.PodSpec, 'hostNetwork' | 'hostPid' | 'hostIpc' | 'enableServiceLinks'>> = {
  hostNetwork: false,
  hostPid: false,
  hostIpc: false,
  enableServiceLinks: false,
};

export function resolveResources(props: HardenedPodProps): k8s.ResourceRequirements {
  const cpuRequest = props.cpuRequest ?? Cpu.millis(50);
  const memoryRequest = props.memoryRequest ?? Size.mebibytes(128);
  const memoryLimit = props.memoryLimit ?? Size.mebibytes(256);
  const requestKib = memoryRequest.toKibibytes();
  if (requestKib <= 0) {
    throw new Error(`memoryRequest must be positive, got ${memoryRequest.asString()}`);
  }
  if (memoryLimit.toKibibytes() < requestKib) {
    throw new Error(
      `memoryLimit must be >= memoryRequest, got limit ${memoryLimit.asString()} < request ${memoryRequest.asString()}`,
    );
  }
  if (cpuCores(cpuRequest) <= 0) {
    throw new Error(`cpuRequest must be positive, got ${cpuRequest.amount}`);
  }
  if (props.cpuLimit !== undefined && cpuCores(props.cpuLimit) < cpuCores(cpuRequest)) {
    throw new Error(`cpuLimit must be >= cpuRequest, got limit ${props.cpuLimit.amount} < request ${cpuRequest.amount}`);
  }
  const limits: Record<string, k8s.Quantity> = { memory: k8s.Quantity.fromString(memoryLimit.asString()) };
  if (props.cpuLimit !== undefined) {
    limits.cpu = k8s.Quantity.fromString(props.cpuLimit.amount);
  }
  return {
    requests: {
      cpu: k8s.Quantity.fromString(cpuRequest.amount),
      memory: k8s.Quantity.fromString(memoryRequest.asString()),
    },
    limits,
  };
}

export function cpuCores(cpu: Cpu): number {
  return cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) / 1000 : Number(cpu.amount);
}
