import { describe, expect, it } from 'vitest';
import { ALLOWED_INGRESS_ANNOTATIONS, HardenedDeployment, HardenedIngress } from '../src/index.js';
import { chartIn, expectSchemaValid, only, synth } from './helpers.js';

function backend(chart = chartIn('natter-api')) {
  const api = new HardenedDeployment(chart, 'api', { image: 'api:dev', ports: [{ name: 'http', number: 4567 }] });
  return { chart, service: api.exposeViaService({ name: 'api-service', port: 4567 }) };
}

describe('HardenedIngress', () => {
  it('routes one TLS host to the Service by reference', () => {
    const { chart, service } = backend();
    new HardenedIngress(chart, 'api-ingress', { host: 'api.example.com', tlsSecretName: 'api-tls', backend: service });
    const manifests = synth(chart);
    const ingress = only(manifests, 'Ingress', 'api-ingress');

    expect(ingress).toMatchSnapshot();
    expectSchemaValid(manifests);
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.metadata.namespace).toBe('natter-api');
    expect(ingress.metadata.annotations).toBeUndefined();
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['api.example.com'], secretName: 'api-tls' }]);
    expect(ingress.spec.rules[0].http.paths).toEqual([
      { path: '/', pathType: 'Prefix', backend: { service: { name: 'api-service', port: { number: 4567 } } } },
    ]);
  });

  it('points the upstream at the Service cluster DNS name for the mesh', () => {
    const { chart, service } = backend();
    new HardenedIngress(chart, 'api-ingress', {
      host: 'api.example.com',
      tlsSecretName: 'api-tls',
      backend: service,
      meshUpstream: true,
      annotations: { 'nginx.ingress.kubernetes.io/limit-rps': '20' },
    });
    expect(only(synth(chart), 'Ingress').metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/limit-rps': '20',
      'nginx.ingress.kubernetes.io/service-upstream': 'true',
      'nginx.ingress.kubernetes.io/upstream-vhost': 'api-service.natter-api.svc.cluster.local:4567',
    });
  });

  it('accepts every allow-listed annotation', () => {
    const { chart, service } = backend();
    const annotations = Object.fromEntries(ALLOWED_INGRESS_ANNOTATIONS.map((key) => [key, 'true']));
    new HardenedIngress(chart, 'i', { host: 'a.example.com', tlsSecretName: 't', backend: service, annotations });
    expect(Object.keys(only(synth(chart), 'Ingress').metadata.annotations)).toHaveLength(ALLOWED_INGRESS_ANNOTATIONS.length);
  });

  describe('fails when', () => {
    it.each([
      'nginx.ingress.kubernetes.io/configuration-snippet',
      'nginx.ingress.kubernetes.io/server-snippet',
      'nginx.ingress.kubernetes.io/auth-snippet',
      'nginx.ingress.kubernetes.io/auth-url',
      'nginx.ingress.kubernetes.io/auth-tls-match-cn',
      'nginx.ingress.kubernetes.io/auth-tls-secret',
      'nginx.ingress.kubernetes.io/mirror-target',
      'nginx.ingress.kubernetes.io/mirror-host',
      'custom.prefix.example/configuration-snippet',
    ])('the dangerous annotation %s is passed', (key) => {
      const { chart, service } = backend();
      expect(
        () => new HardenedIngress(chart, 'i', { host: 'a.example.com', tlsSecretName: 't', backend: service, annotations: { [key]: 'x' } }),
      ).toThrow(new RegExp(`ingress annotation '${key}' is rejected: .*; remove it`));
    });

    it('an annotation is not on the allow-list', () => {
      const { chart, service } = backend();
      expect(
        () =>
          new HardenedIngress(chart, 'i', {
            host: 'a.example.com',
            tlsSecretName: 't',
            backend: service,
            annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$1' },
          }),
      ).toThrow(/'nginx.ingress.kubernetes.io\/rewrite-target' is not on the allow-list; allowed: nginx.ingress/);
    });

    it('an allowed annotation carries nginx syntax', () => {
      const { chart, service } = backend();
      expect(
        () =>
          new HardenedIngress(chart, 'i', {
            host: 'a.example.com',
            tlsSecretName: 't',
            backend: service,
            annotations: { 'nginx.ingress.kubernetes.io/cors-allow-origin': 'https://a.example; }\n' },
          }),
      ).toThrow(/has a value with characters nginx could interpret/);
    });

    it('meshUpstream and an explicit upstream-vhost are both given', () => {
      const { chart, service } = backend();
      expect(
        () =>
          new HardenedIngress(chart, 'i', {
            host: 'a.example.com',
            tlsSecretName: 't',
            backend: service,
            meshUpstream: true,
            annotations: { 'nginx.ingress.kubernetes.io/upstream-vhost': 'x' },
          }),
      ).toThrow(/pass either meshUpstream or the 'nginx.ingress.kubernetes.io\/upstream-vhost' annotation, not both/);
    });

    it.each(['*.example.com', 'Example.com', 'localhost', 'a..b'])('the host is %s', (host) => {
      const { chart, service } = backend();
      expect(() => new HardenedIngress(chart, 'i', { host, tlsSecretName: 't', backend: service })).toThrow(
        /host must be a fully qualified lower-case DNS name without wildcards/,
      );
    });

    it('the path is not absolute', () => {
      const { chart, service } = backend();
      expect(
        () => new HardenedIngress(chart, 'i', { host: 'a.example.com', tlsSecretName: 't', backend: service, path: 'api' }),
      ).toThrow(/path must be an absolute path/);
    });
  });
});
