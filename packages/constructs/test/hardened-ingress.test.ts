import { Service, ServiceType } from 'cdk8s-plus-27';
import { describe, expect, it } from 'vitest';
import { ALLOWED_INGRESS_ANNOTATIONS, HardenedDeployment, HardenedIngress, type HardenedIngressProps } from '../src/index.js';
import { chartIn, expectSchemaValid, only, synth } from './helpers.js';

function backend(chart = chartIn('natter-api')) {
  const api = new HardenedDeployment(chart, 'api', { image: 'api:dev', ports: [{ name: 'http', number: 4567 }] });
  return { chart, service: api.exposeViaService({ name: 'api-service', port: 4567 }) };
}

/** Builds an Ingress for a fresh backend with the given props on top of valid ones. */
function ingressWith(props: Partial<HardenedIngressProps>): HardenedIngress {
  const { chart, service } = backend();
  return new HardenedIngress(chart, 'i', { host: 'a.example.com', tlsSecretName: 't', backend: service, ...props });
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

  it('routes to a cdk8s-plus Service as well', () => {
    const chart = chartIn('shop');
    const api = new HardenedDeployment(chart, 'api', { image: 'api:1', ports: [{ name: 'http', number: 8080 }] });
    const service = new Service(chart, 'ApiService', { metadata: { name: 'api-plus' }, ports: [{ port: 80, targetPort: 8080 }, { port: 9090 }] });
    service.select(api);
    new HardenedIngress(chart, 'api-ingress', { host: 'shop.example.com', tlsSecretName: 'shop-tls', backend: service, backendPort: 80, meshUpstream: true });
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    const ingress = only(manifests, 'Ingress', 'api-ingress');
    expect(ingress.metadata.namespace).toBe('shop');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/upstream-vhost']).toBe('api-plus.shop.svc.cluster.local:80');
    expect(ingress.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'api-plus', port: { number: 80 } } });
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
    const annotations = Object.fromEntries(ALLOWED_INGRESS_ANNOTATIONS.map((key) => [key, 'true']));
    const ingress = ingressWith({ annotations });
    expect(Object.keys(ingress.resource.toJson().metadata.annotations)).toHaveLength(ALLOWED_INGRESS_ANNOTATIONS.length);
  });

  describe('fails when', () => {
    it('a cdk8s-plus backend has several ports and none is chosen', () => {
      const chart = chartIn('shop');
      const service = new Service(chart, 'S', { metadata: { name: 's' }, ports: [{ port: 80 }, { port: 81 }] });
      expect(() => new HardenedIngress(chart, 'i', { host: 'a.example.com', tlsSecretName: 't', backend: service })).toThrow(
        /backend s has ports \[80, 81\]; pass backendPort with exactly one of them/,
      );
    });

    it('the backend is an ExternalName Service', () => {
      const chart = chartIn('shop');
      const service = new Service(chart, 'S', { metadata: { name: 's' }, type: ServiceType.EXTERNAL_NAME, externalName: 'evil.example', ports: [{ port: 80 }] });
      expect(() => new HardenedIngress(chart, 'i', { host: 'a.example.com', tlsSecretName: 't', backend: service })).toThrow(/is an ExternalName Service/);
    });

    it('backendPort is not the WorkloadService port', () => {
      expect(() => ingressWith({ backendPort: 80 })).toThrow(/backendPort 80 is not the port of Service api-service \(4567\)/);
    });

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
      expect(() => ingressWith({ annotations: { [key]: 'x' } })).toThrow(
        new RegExp(`ingress annotation '${key}' is rejected: .*; remove it`),
      );
    });

    it.each([
      [
        'an annotation is not on the allow-list',
        { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$1' } },
        /'nginx.ingress.kubernetes.io\/rewrite-target' is not on the allow-list; allowed: nginx.ingress/,
      ],
      [
        'an allowed annotation carries nginx syntax',
        { annotations: { 'nginx.ingress.kubernetes.io/cors-allow-origin': 'https://a.example; }\n' } },
        /has a value with characters nginx could interpret/,
      ],
      [
        'meshUpstream and an explicit upstream-vhost are both given',
        { meshUpstream: true, annotations: { 'nginx.ingress.kubernetes.io/upstream-vhost': 'x' } },
        /pass either meshUpstream or the 'nginx.ingress.kubernetes.io\/upstream-vhost' annotation, not both/,
      ],
      ['the path is not absolute', { path: 'api' }, /path must be an absolute path/],
      ['the TLS secret name is invalid', { tlsSecretName: 'TLS' }, /tlsSecretName must be a DNS subdomain .* got 'TLS'/],
    ] as Array<[string, Partial<HardenedIngressProps>, RegExp]>)('%s', (_name, props, message) => {
      expect(() => ingressWith(props)).toThrow(message);
    });

    it.each(['*.example.com', 'Example.com', 'localhost', 'a..b'])('the host is %s', (host) => {
      expect(() => ingressWith({ host })).toThrow(/host must be a fully qualified lower-case DNS name without wildcards/);
    });
  });
});
