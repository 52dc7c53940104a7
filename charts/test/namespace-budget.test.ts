import { describe, expect, it } from 'vitest';
import { injectLinkerd, type Manifest, podTemplates } from '@natter/kube-check';
import type { NatterProfile } from '../src/profiles.js';
import { mebibytes, millicores } from '../src/settings.js';
import { ALL_VARIANTS, manifestsOf, variantName } from './natter-cluster.js';

type Quantities = Record<string, string>;
interface Container { name: string; resources?: { requests?: Quantities; limits?: Quantities } }

/** `250m` / `1` / `0.5` → millicores; `512Mi` / `1Gi` → MiB. */
const cpu = (value: string) => (value.endsWith('m') ? millicores(value) : Number(value) * 1000);
const memory = (value: string) => mebibytes(value);

function objectOf(objects: readonly Manifest[], kind: string): Manifest & { spec: Record<string, any> } {
  const found = objects.filter((object) => object.kind === kind);
  expect(found.length, kind).toBe(1);
  return found[0] as Manifest & { spec: Record<string, any> };
}

/**
 * The most the namespace ever holds at once: every Deployment at full rollout surge (maxSurge 25%,
 * rounded up: the default, which the chart keeps), every StatefulSet replica, one migration pod;
 * each pod with Linkerd's injected containers, which declare no resources and so get the
 * LimitRange's defaults.
 */
function peakUsage(objects: readonly Manifest[], profile: NatterProfile) {
  const defaults = profile.namespaceBudget.containerDefaults;
  const usage = { requestsCpu: 0, requestsMemory: 0, limitsMemory: 0, pods: 0, claims: 0, storage: 0 };
  for (const template of podTemplates(objects)) {
    const spec = template.source.spec as { replicas?: number; volumeClaimTemplates?: { spec: { resources: { requests: { storage: string } } } }[] };
    const replicas = spec.replicas ?? 1;
    const copies = template.ownerKind === 'Deployment' ? replicas + Math.ceil(replicas * 0.25) : replicas;
    const injected = injectLinkerd(template, profile.meshMode);
    const containers = [...(injected.spec.initContainers ?? []), ...injected.spec.containers] as Container[];
    for (const container of containers) {
      usage.requestsCpu += copies * cpu(container.resources?.requests?.['cpu'] ?? defaults.cpuRequest);
      usage.requestsMemory += copies * memory(container.resources?.requests?.['memory'] ?? defaults.memoryRequest);
      usage.limitsMemory += copies * memory(container.resources?.limits?.['memory'] ?? defaults.memoryLimit);
    }
    usage.pods += copies;
    for (const claim of template.ownerKind === 'StatefulSet' ? spec.volumeClaimTemplates ?? [] : []) {
      usage.claims += replicas;
      usage.storage += replicas * memory(claim.spec.resources.requests.storage);
    }
  }
  return usage;
}

function fits(objects: readonly Manifest[], profile: NatterProfile): string[] {
  const hard = objectOf(objects, 'ResourceQuota').spec['hard'] as Quantities;
  const peak = peakUsage(objects, profile);
  const over: string[] = [];
  const check = (key: string, used: number, allowed: number) => { if (used > allowed) over.push(`${key}: ${used} > ${allowed}`); };
  check('requests.cpu', peak.requestsCpu, cpu(hard['requests.cpu']!));
  check('requests.memory', peak.requestsMemory, memory(hard['requests.memory']!));
  check('limits.memory', peak.limitsMemory, memory(hard['limits.memory']!));
  check('pods', peak.pods, Number(hard['pods']));
  check('persistentvolumeclaims', peak.claims, Number(hard['persistentvolumeclaims']));
  check('requests.storage', peak.storage, memory(hard['requests.storage']!));
  return over;
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('namespace budget (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const budget = profile.namespaceBudget;

  it('puts a ResourceQuota with the profile\'s values in the namespace, NodePorts capped at what the profile declares and no LoadBalancer', () => {
    const quota = objectOf(objects, 'ResourceQuota');
    expect(quota.metadata?.namespace).toBe('natter-api');
    const nodePorts = objects.filter((object) => object.kind === 'Service' && (object.spec as { type?: string }).type === 'NodePort').length;
    expect(quota.spec['hard']).toEqual({
      'requests.cpu': budget.requestsCpu,
      'requests.memory': budget.requestsMemory,
      'limits.memory': budget.limitsMemory,
      pods: String(budget.pods),
      persistentvolumeclaims: String(budget.persistentVolumeClaims),
      'requests.storage': budget.requestsStorage,
      'services.nodeports': String(nodePorts),
      'services.loadbalancers': '0',
    });
  });

  it('puts a LimitRange in the namespace whose defaults cover injected containers and whose ceilings admit every container and claim of the chart', () => {
    const range = objectOf(objects, 'LimitRange');
    const container = (range.spec['limits'] as { type: string; default?: Quantities; defaultRequest?: Quantities; max?: Quantities }[]).find((item) => item.type === 'Container')!;
    expect(container.defaultRequest).toEqual({ cpu: budget.containerDefaults.cpuRequest, memory: budget.containerDefaults.memoryRequest });
    expect(container.default).toEqual({ memory: budget.containerDefaults.memoryLimit });
    expect(container.max).toEqual({ memory: budget.maxContainerMemory });
    for (const template of podTemplates(objects)) {
      for (const entry of [...(template.spec.initContainers ?? []), ...template.spec.containers] as Container[]) {
        expect(memory(entry.resources?.limits?.['memory'] ?? '0Mi'), `${template.name}/${entry.name}`).toBeLessThanOrEqual(memory(budget.maxContainerMemory));
      }
    }
    const claims = (range.spec['limits'] as { type: string; max?: Quantities }[]).find((item) => item.type === 'PersistentVolumeClaim')!;
    expect(claims.max).toEqual({ storage: budget.maxClaimStorage });
    expect(memory(profile.database.storage)).toBeLessThanOrEqual(memory(budget.maxClaimStorage));
  });

  it('holds the chart\'s own pods at their peak: every Deployment mid-rollout, the database, the migration, Linkerd\'s containers', () => {
    expect(fits(objects, profile)).toEqual([]);
  });
});

describe('the namespace budget check', () => {
  it('fails when the quota is smaller than the chart\'s peak', () => {
    const profile = ALL_VARIANTS[0]!;
    const tight = { ...profile, namespaceBudget: { ...profile.namespaceBudget, requestsMemory: '512Mi', pods: 2 } };
    expect(fits(manifestsOf(tight), tight)).toEqual([expect.stringMatching(/^requests\.memory: \d+ > 512$/), expect.stringMatching(/^pods: \d+ > 2$/)]);
  });
});
