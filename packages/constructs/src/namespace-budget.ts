import type { Size } from 'cdk8s';
import { k8s, type Cpu } from 'cdk8s-plus-27';
import { cpuCores } from './pod-hardening.js';

/**
 * Totals over every pod and object in a namespace (a ResourceQuota), so one runaway or compromised
 * workload cannot starve the cluster. Set at least one field.
 */
export interface NamespaceResourceQuota {
  /**
   * Sum of the CPU requests of all pods.
   * @default - not limited
   */
  readonly requestsCpu?: Cpu;
  /**
   * Sum of the memory requests of all pods.
   * @default - not limited
   */
  readonly requestsMemory?: Size;
  /**
   * Sum of the CPU limits of all pods (then every container needs one: set limitRange.defaultCpuLimit).
   * @default - not limited
   */
  readonly limitsCpu?: Cpu;
  /**
   * Sum of the memory limits of all pods.
   * @default - not limited
   */
  readonly limitsMemory?: Size;
  /**
   * Sum of the storage requested by all PersistentVolumeClaims.
   * @default - not limited
   */
  readonly requestsStorage?: Size;
  /**
   * Number of PersistentVolumeClaims.
   * @default - not limited
   */
  readonly persistentVolumeClaims?: number;
  /**
   * Number of pods (not in a terminal state).
   * @default - not limited
   */
  readonly pods?: number;
  /**
   * Number of Services.
   * @default - not limited
   */
  readonly services?: number;
  /**
   * Number of NodePort Services (0 forbids them).
   * @default - not limited
   */
  readonly nodePortServices?: number;
  /**
   * Number of LoadBalancer Services (0 forbids them).
   * @default - not limited
   */
  readonly loadBalancerServices?: number;
}

/**
 * Per-container defaults and ceilings (a LimitRange): containers that declare no requests or limits
 * (e.g. sidecars a mesh injects) get the defaults, and none may ask for more than the maximum.
 * Set at least one field.
 */
export interface ContainerLimitRange {
  /**
   * CPU request of a container that declares none.
   * @default - the default CPU limit when one is set, else none
   */
  readonly defaultCpuRequest?: Cpu;
  /**
   * Memory request of a container that declares none.
   * @default - the default memory limit when one is set, else none
   */
  readonly defaultMemoryRequest?: Size;
  /**
   * CPU limit of a container that declares none.
   * @default - none
   */
  readonly defaultCpuLimit?: Cpu;
  /**
   * Memory limit of a container that declares none.
   * @default - none
   */
  readonly defaultMemoryLimit?: Size;
  /**
   * Largest CPU limit a container may have.
   * @default - no maximum
   */
  readonly maxCpu?: Cpu;
  /**
   * Largest memory limit a container may have.
   * @default - no maximum
   */
  readonly maxMemory?: Size;
  /**
   * Largest storage a single PersistentVolumeClaim may request.
   * @default - no maximum
   */
  readonly maxClaimStorage?: Size;
}

type Quantities = Record<string, k8s.Quantity>;

/** `spec.hard` of the ResourceQuota; throws when the quota would reject pods the limit range cannot complete. */
export function renderQuota(quota: NamespaceResourceQuota, limits: ContainerLimitRange | undefined): Quantities {
  const hard: Quantities = {};
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) hard[key] = k8s.Quantity.fromString(value);
  };
  put('requests.cpu', quota.requestsCpu?.amount);
  put('requests.memory', quota.requestsMemory?.asString());
  put('limits.cpu', quota.limitsCpu?.amount);
  put('limits.memory', quota.limitsMemory?.asString());
  put('requests.storage', quota.requestsStorage?.asString());
  for (const [key, count] of [
    ['persistentvolumeclaims', quota.persistentVolumeClaims],
    ['pods', quota.pods],
    ['services', quota.services],
    ['services.nodeports', quota.nodePortServices],
    ['services.loadbalancers', quota.loadBalancerServices],
  ] as const) {
    if (count === undefined) continue;
    if (!Number.isInteger(count) || count < 0) throw new Error(`resourceQuota ${key} must be an integer >= 0, got ${count}`);
    put(key, String(count));
  }
  if (Object.keys(hard).length === 0) {
    throw new Error('resourceQuota sets no limit; set at least one field or leave resourceQuota out');
  }
  // With a quota on a compute resource, the API server rejects every container that does not
  // declare it; injected sidecars often do not, so the limit range must fill it in.
  const defaults: Record<string, [boolean, string]> = {
    'requests.cpu': [limits?.defaultCpuRequest !== undefined || limits?.defaultCpuLimit !== undefined, 'defaultCpuRequest'],
    'requests.memory': [limits?.defaultMemoryRequest !== undefined || limits?.defaultMemoryLimit !== undefined, 'defaultMemoryRequest'],
    'limits.cpu': [limits?.defaultCpuLimit !== undefined, 'defaultCpuLimit'],
    'limits.memory': [limits?.defaultMemoryLimit !== undefined, 'defaultMemoryLimit'],
  };
  for (const [key, [covered, field]] of Object.entries(defaults)) {
    if (key in hard && !covered) {
      throw new Error(
        `resourceQuota limits ${key}, so every container must declare it; set limitRange.${field} ` +
          `so containers that do not (e.g. injected sidecars) are still admitted`,
      );
    }
  }
  return hard;
}

/** `spec.limits` of the LimitRange; throws when a default exceeds its maximum or a request its limit. */
export function renderLimitRange(range: ContainerLimitRange): k8s.LimitRangeItem[] {
  const cpu = (value: Cpu | undefined) => (value === undefined ? undefined : k8s.Quantity.fromString(value.amount));
  const memory = (value: Size | undefined) => (value === undefined ? undefined : k8s.Quantity.fromString(value.asString()));
  const atMost = (what: string, low: number | undefined, high: number | undefined, text: () => string) => {
    if (low !== undefined && high !== undefined && low > high) throw new Error(`limitRange ${what}: ${text()}`);
  };
  const cores = (value: Cpu | undefined) => (value === undefined ? undefined : cpuCores(value));
  const kib = (value: Size | undefined) => (value === undefined ? undefined : value.toKibibytes());
  atMost('defaultCpuRequest must be <= defaultCpuLimit', cores(range.defaultCpuRequest), cores(range.defaultCpuLimit), () => `${range.defaultCpuRequest?.amount} > ${range.defaultCpuLimit?.amount}`);
  atMost('defaultCpuLimit must be <= maxCpu', cores(range.defaultCpuLimit ?? range.defaultCpuRequest), cores(range.maxCpu), () => `${(range.defaultCpuLimit ?? range.defaultCpuRequest)?.amount} > ${range.maxCpu?.amount}`);
  atMost('defaultMemoryRequest must be <= defaultMemoryLimit', kib(range.defaultMemoryRequest), kib(range.defaultMemoryLimit), () => `${range.defaultMemoryRequest?.asString()} > ${range.defaultMemoryLimit?.asString()}`);
  atMost('defaultMemoryLimit must be <= maxMemory', kib(range.defaultMemoryLimit ?? range.defaultMemoryRequest), kib(range.maxMemory), () => `${(range.defaultMemoryLimit ?? range.defaultMemoryRequest)?.asString()} > ${range.maxMemory?.asString()}`);
  const compact = (entries: Record<string, k8s.Quantity | undefined>) => {
    const defined = Object.entries(entries).filter((entry): entry is [string, k8s.Quantity] => entry[1] !== undefined);
    return defined.length === 0 ? undefined : Object.fromEntries(defined);
  };
  const container: k8s.LimitRangeItem = {
    type: 'Container',
    defaultRequest: compact({ cpu: cpu(range.defaultCpuRequest), memory: memory(range.defaultMemoryRequest) }),
    default: compact({ cpu: cpu(range.defaultCpuLimit), memory: memory(range.defaultMemoryLimit) }),
    max: compact({ cpu: cpu(range.maxCpu), memory: memory(range.maxMemory) }),
  };
  const items: k8s.LimitRangeItem[] = [];
  if (container.defaultRequest || container.default || container.max) items.push(container);
  if (range.maxClaimStorage !== undefined) {
    items.push({ type: 'PersistentVolumeClaim', max: { storage: k8s.Quantity.fromString(range.maxClaimStorage.asString()) } });
  }
  if (items.length === 0) {
    throw new Error('limitRange sets nothing; set at least one field or leave limitRange out');
  }
  return items;
}
