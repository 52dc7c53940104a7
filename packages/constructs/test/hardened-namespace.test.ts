import { ApiObject, JsonPatch } from 'cdk8s';
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
    ])('%s', (_name, props, message) => {
      expect(() => new HardenedNamespace(chartIn(), 'ns', props)).toThrow(message);
    });
  });
});
