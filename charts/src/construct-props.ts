import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import type { ImagePullPolicy } from 'cdk8s-plus-27';
import type { ContainerLimitRange, NamespaceResourceQuota } from '@natter/constructs';
import type { NatterProfile } from './profiles.js';
import { DATABASE_IMAGE_FIELD, millicores, type ResourceSettings } from './settings.js';

/** Settings (plain data) turned into what the hardened constructs take. */

/** The profile's pull policy (the settings hold the Kubernetes string the enum's values equal). */
export function pullPolicy(profile: NatterProfile): ImagePullPolicy {
  return profile.images.pullPolicy as ImagePullPolicy;
}

/** `256Mi` / `1Gi` as a cdk8s Size (rendered back exactly as written). */
export function size(quantity: string): Size {
  const amount = Number(quantity.slice(0, -2));
  return quantity.endsWith('Gi') ? Size.gibibytes(amount) : Size.mebibytes(amount);
}

/** A workload's resource settings as the hardened constructs' props. */
export function resourceProps(resources: ResourceSettings): { cpuRequest: Cpu; cpuLimit?: Cpu; memoryRequest: Size; memoryLimit: Size } {
  return {
    cpuRequest: Cpu.millis(millicores(resources.cpuRequest)),
    ...(resources.cpuLimit === undefined ? {} : { cpuLimit: Cpu.millis(millicores(resources.cpuLimit)) }),
    memoryRequest: size(resources.memoryRequest),
    memoryLimit: size(resources.memoryLimit),
  };
}

/**
 * The namespace's ResourceQuota and LimitRange from `namespaceBudget`. NodePort Services are capped
 * at the one the profile declares (0 without `api.nodePort`) and LoadBalancers at 0, so nobody with
 * write access to the namespace can open another way in.
 */
export function namespaceBudgetProps(profile: NatterProfile): { resourceQuota: NamespaceResourceQuota; limitRange: ContainerLimitRange } {
  const budget = profile.namespaceBudget;
  return {
    resourceQuota: {
      requestsCpu: Cpu.millis(millicores(budget.requestsCpu)),
      requestsMemory: size(budget.requestsMemory),
      limitsMemory: size(budget.limitsMemory),
      pods: budget.pods,
      persistentVolumeClaims: budget.persistentVolumeClaims,
      requestsStorage: size(budget.requestsStorage),
      nodePortServices: profile.api.nodePort === undefined ? 0 : 1,
      loadBalancerServices: 0,
    },
    limitRange: {
      defaultCpuRequest: Cpu.millis(millicores(budget.containerDefaults.cpuRequest)),
      defaultMemoryRequest: size(budget.containerDefaults.memoryRequest),
      defaultMemoryLimit: size(budget.containerDefaults.memoryLimit),
      maxMemory: size(budget.maxContainerMemory),
      maxClaimStorage: size(budget.maxClaimStorage),
    },
  };
}

/** The PostgreSQL image the profile's database engine runs (the settings model requires it). */
export function databaseImage(profile: NatterProfile): string {
  const field = DATABASE_IMAGE_FIELD[profile.database.engine];
  const image = profile.images[field];
  if (image === undefined) throw new Error(`images.${field} is required for database.engine ${profile.database.engine}`);
  return image;
}
