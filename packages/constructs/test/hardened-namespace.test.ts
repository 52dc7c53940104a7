import { ApiObject, JsonPatch, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { describe, expect, it } from 'vitest';
import { HardenedNamespace, PodSecurityLevel } from '../src/index.js';
import { chartIn, expectSchemaValid, only, synth } from './helpers.js';

describe('HardenedNamespace', () => {
  it('enforces, audits and warns at restricted, pinned to a version, and carries no namespace itself', () => {
    const chart = chartIn('natter-api');
    new HardenedNamespace(chart, 'natter-api', { annotations: { 'linkerd.io/inject': 'enabled' } });
    const manifests = synth(chart);
    const namespace = only(manifests, 'Namespace', 'natter-api');

    expect(namespace).toMatchSnapshot();
    expectSchemaValid(manifests);
    expect(namespace.metadata.namespace).toBeUndefined();
    expect(namespace.metadata.labels).toEqual({
      name: 'natter-api',
      'kubernetes.io/metadata.name': 'natter-api',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.27',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.27',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.27',
    });
    expect(namespace.metadata.annotations).toEqual({ 'linkerd.io/inject': 'enabled' });
  });

  it("declares the namespace's default ServiceAccount without a token", () => {
    const chart = chartIn(null);
    const ns = new HardenedNamespace(chart, 'shop');
    const account = only(synth(chart), 'ServiceAccount', 'default');
    expect(account).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'shop' },
      automountServiceAccountToken: false,
    });
    expect(ns.defaultServiceAccount).toBeDefined();
  });

  it('leaves the default ServiceAccount alone only with the relaxation', () => {
    const chart = chartIn();
    new HardenedNamespace(chart, 'shop', { automountDefaultServiceAccountToken: true });
    expect(synth(chart).filter((m) => m.kind === 'ServiceAccount')).toHaveLength(0);
  });

  it('renders a ResourceQuota and a LimitRange from the values given', () => {
    const chart = chartIn('shop');
    new HardenedNamespace(chart, 'shop', {
      resourceQuota: {
        requestsCpu: Cpu.units(4),
        requestsMemory: Size.gibibytes(8),
        limitsMemory: Size.gibibytes(12),
        requestsStorage: Size.gibibytes(50),
        persistentVolumeClaims: 4,
        pods: 40,
        nodePortServices: 0,
        loadBalancerServices: 0,
      },
      limitRange: {
        defaultCpuRequest: Cpu.millis(50),
        defaultMemoryRequest: Size.mebibytes(64),
        defaultMemoryLimit: Size.mebibytes(256),
        maxCpu: Cpu.units(2),
        maxMemory: Size.gibibytes(2),
        maxClaimStorage: Size.gibibytes(20),
      },
    });
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    const quota = only(manifests, 'ResourceQuota', 'shop-quota');
    expect(quota.metadata.namespace).toBe('shop');
    expect(quota.spec.hard).toEqual({
      'requests.cpu': '4',
      'requests.memory': '8Gi',
      'limits.memory': '12Gi',
      'requests.storage': '50Gi',
      persistentvolumeclaims: '4',
      pods: '40',
      'services.nodeports': '0',
      'services.loadbalancers': '0',
    });
    expect(only(manifests, 'LimitRange', 'shop-limits').spec.limits).toEqual([
      { type: 'Container', defaultRequest: { cpu: '50m', memory: '64Mi' }, default: { memory: '256Mi' }, max: { cpu: '2', memory: '2Gi' } },
      { type: 'PersistentVolumeClaim', max: { storage: '20Gi' } },
    ]);
  });

  it('relaxes enforcement only where asked, keeping audit and warn at restricted', () => {
    const chart = chartIn();
    const ns = new HardenedNamespace(chart, 'Mesh', {
      name: 'meshed',
      enforce: PodSecurityLevel.PRIVILEGED,
      podSecurityVersion: 'v1.30',
      labels: { team: 'platform' },
    });
    const labels = only(synth(chart), 'Namespace').metadata.labels;
    expect(ns.name).toBe('meshed');
    expect(labels).toMatchObject({
      team: 'platform',
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/enforce-version': 'v1.30',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  it('works in a chart without a namespace and keeps `Resource` patchable', () => {
    const chart = chartIn(null);
    const ns = new HardenedNamespace(chart, 'plain');
    ApiObject.of(ns).addJsonPatch(JsonPatch.add('/metadata/annotations', { owner: 'me' }));
    const rendered = only(synth(chart), 'Namespace');
    expect(ns.node.findChild('Resource')).toBe(ns.resource);
    expect(rendered.metadata.namespace).toBeUndefined();
    expect(rendered.metadata.annotations).toEqual({ owner: 'me' });
  });

  describe('fails when', () => {
    it.each([
      ['the version is latest', { podSecurityVersion: 'latest' }, /podSecurityVersion must be pinned like 'v1.27', got 'latest'/],
      ['labels override a Pod Security label', { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } }, /labels must not set 'pod-security.kubernetes.io\/enforce'/],
      ['labels override the name label', { labels: { name: 'other' } }, /labels must not set 'name'/],
      ['the name is not a DNS label', { name: 'Natter' }, /namespace name must be a DNS label/],
      ['the quota sets nothing', { resourceQuota: {} }, /resourceQuota sets no limit/],
      ['the quota counts a negative number of pods', { resourceQuota: { pods: -1 } }, /resourceQuota pods must be an integer >= 0, got -1/],
      [
        'the quota limits memory but nothing gives a container without a limit one',
        { resourceQuota: { limitsMemory: Size.gibibytes(4) } },
        /resourceQuota limits limits.memory, so every container must declare it; set limitRange.defaultMemoryLimit/,
      ],
      [
        'the quota limits CPU requests and the limit range has no CPU default',
        { resourceQuota: { requestsCpu: Cpu.units(2) }, limitRange: { defaultMemoryLimit: Size.mebibytes(128) } },
        /set limitRange.defaultCpuRequest/,
      ],
      ['the limit range sets nothing', { limitRange: {} }, /limitRange sets nothing/],
      [
        'a default memory limit exceeds the maximum',
        { limitRange: { defaultMemoryLimit: Size.gibibytes(4), maxMemory: Size.gibibytes(2) } },
        /limitRange defaultMemoryLimit must be <= maxMemory: 4Gi > 2Gi/,
      ],
      [
        'a default CPU request exceeds the default limit',
        { limitRange: { defaultCpuRequest: Cpu.units(2), defaultCpuLimit: Cpu.units(1) } },
        /limitRange defaultCpuRequest must be <= defaultCpuLimit: 2 > 1/,
      ],
    ])('%s', (_name, props, message) => {
      expect(() => new HardenedNamespace(chartIn(), 'ns', props)).toThrow(message);
    });
  });
});
