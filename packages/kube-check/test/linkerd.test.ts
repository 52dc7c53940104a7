import { describe, expect, it } from 'vitest';
import { restrictedPodSpec } from './fixtures.js';
import { injectLinkerd, isInjected, isPortSkipped } from '../src/linkerd.js';
import { checkPodSecurity } from '../src/pod-security.js';

describe('isPortSkipped', () => {
  it("applies Linkerd's default skip list (4567,4568) when the pod does not override it", () => {
    expect(isPortSkipped({}, 'inbound', 4567)).toBe(true);
    expect(isPortSkipped({}, 'outbound', 4568)).toBe(true);
    expect(isPortSkipped({}, 'inbound', 5432)).toBe(false);
  });

  it('replaces the default list with the pod annotation, ranges included', () => {
    expect(isPortSkipped({ 'config.linkerd.io/skip-inbound-ports': '4190' }, 'inbound', 4567)).toBe(false);
    // An empty value may count as unset: the default list, 4567 included, still applies.
    expect(isPortSkipped({ 'config.linkerd.io/skip-inbound-ports': '' }, 'inbound', 4567)).toBe(true);
    expect(isPortSkipped({ 'config.linkerd.io/skip-outbound-ports': '25,5000-5010' }, 'outbound', 5005)).toBe(true);
    expect(isPortSkipped({ 'config.linkerd.io/skip-outbound-ports': '25,5000-5010' }, 'outbound', 4567)).toBe(false);
    expect(() => isPortSkipped({ 'config.linkerd.io/skip-inbound-ports': 'http' }, 'inbound', 1)).toThrow(/port list/);
  });
});

describe('injectLinkerd', () => {
  it('adds linkerd-init in linkerd-init mode, which baseline and restricted reject', () => {
    const pod = injectLinkerd({ spec: restrictedPodSpec() }, 'linkerd-init');
    expect(pod.spec.initContainers?.map((container) => container.name)).toEqual(['linkerd-init']);
    const controls = checkPodSecurity(pod, 'baseline').map((violation) => violation.control);
    expect(controls).toEqual(['Capabilities', 'Capabilities']);
    expect(checkPodSecurity(pod, 'privileged')).toEqual([]);
  });

  it('keeps a restricted pod restricted in linkerd-cni mode', () => {
    const pod = injectLinkerd({ spec: restrictedPodSpec() }, 'linkerd-cni');
    expect(pod.spec.initContainers?.map((container) => container.name)).toEqual(['linkerd-network-validator']);
    expect(checkPodSecurity(pod, 'restricted')).toEqual([]);
  });

  it('copies the first container capabilities to the proxy, so a weak app container weakens it', () => {
    const spec = restrictedPodSpec();
    spec.containers[0]!.securityContext!.capabilities = { drop: ['all'] };
    const pod = injectLinkerd({ spec }, 'linkerd-cni');
    expect(checkPodSecurity(pod, 'restricted').filter((violation) => violation.path.includes('linkerd-proxy'))).toHaveLength(1);
  });

  it('lets the pod annotation override the namespace for injection', () => {
    expect(isInjected({}, { 'linkerd.io/inject': 'enabled' })).toBe(true);
    expect(isInjected({ 'linkerd.io/inject': 'disabled' }, { 'linkerd.io/inject': 'enabled' })).toBe(false);
    expect(isInjected({}, {})).toBe(false);
  });
});
