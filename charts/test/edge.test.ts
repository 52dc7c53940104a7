import { findObject, type Manifest } from '@natter/kube-check';
import { describe, expect, it } from 'vitest';
import { envoyProxyServiceAccount } from '../src/envoy-gateway.js';
import type { NatterProfile } from '../src/profiles.js';
import { burstOf } from '../src/rate-limit-settings.js';
import { synthesizeProfile } from '../src/synth.js';
import { admitsOnlyProblems, edgesOf, redirectOnlyProblems, tlsProblems } from './edge-invariants.js';
import { ALL_VARIANTS, PROFILES, edgePodOf, env, manifestsOf, templateNamed, variantName } from './natter-cluster.js';

const API_SERVICE = { service: 'natter-api-service', port: 4567 };
const clone = (objects: readonly Manifest[]): Manifest[] => structuredClone(objects) as Manifest[];
// Loosely typed access to synthesized specs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Spec = Record<string, any>;
const specOf = (object: Manifest): Spec => object.spec as Spec;

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('the edge (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const edge = edgePodOf(profile);

  it('is exactly one, of the kind the profile names, and no Service is a LoadBalancer', () => {
    expect(edgesOf(objects).map((object) => object.kind)).toEqual([profile.edge.kind === 'gateway-api' ? 'Gateway' : 'Ingress']);
    expect(objects.filter((object) => object.kind === 'HTTPRoute').length).toBe(profile.edge.kind === 'gateway-api' ? 2 : 0);
  });

  it('admits only the API: one host, routes from its own namespace, the API Service as the only backend', () => {
    expect(admitsOnlyProblems(objects, API_SERVICE, profile.edge.host)).toEqual([]);
  });

  it('has TLS on every external listener, and plain HTTP only redirects to HTTPS', () => {
    expect(tlsProblems(objects, profile.edge.tlsSecretName)).toEqual([]);
  });

  it('names a cert-manager issuer only when the profile has one, with the annotation of its kind', () => {
    const certManagerAnnotations = (edgeObject: Manifest) => Object.entries(edgeObject.metadata?.annotations ?? {}).filter(([key]) => key.startsWith('cert-manager.io/'));
    const issuer = profile.edge.tlsIssuer;
    expect(certManagerAnnotations(edgesOf(objects)[0]!)).toEqual(
      issuer === undefined ? [] : [[issuer.kind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer', issuer.name]],
    );
    const { tlsIssuer: _, ...withoutIssuer } = profile.edge;
    expect(certManagerAnnotations(edgesOf(synthesizeProfile({ ...profile, edge: withoutIssuer }).objects as unknown as Manifest[])[0]!)).toEqual([]);
    for (const [kind, key] of [['ClusterIssuer', 'cert-manager.io/cluster-issuer'], ['Issuer', 'cert-manager.io/issuer']] as const) {
      const issued = synthesizeProfile({ ...profile, edge: { ...profile.edge, tlsIssuer: { kind, name: 'letsencrypt' } } }).objects as unknown as Manifest[];
      const [issuedEdge] = edgesOf(issued);
      expect(issuedEdge!.metadata?.annotations?.[key], kind).toBe('letsencrypt');
      // cert-manager writes into the Secret the listener already names: the name is derived once.
      expect(tlsProblems(issued, profile.edge.tlsSecretName)).toEqual([]);
    }
  });

  it('lets the API believe X-Forwarded-For only from its own pod address and the edge\'s mesh identity', () => {
    const container = templateNamed(objects, 'natter-api').spec.containers[0]!;
    const names = (container.env ?? []).map((variable) => variable.name);
    expect(container.env?.find((variable) => variable.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    // Kubernetes expands $(POD_IP) only from variables defined earlier in the list.
    expect(names.indexOf('POD_IP')).toBeLessThan(names.indexOf('TRUSTED_PROXIES'));
    expect(env(templateNamed(objects, 'natter-api'), 'TRUSTED_PROXIES')).toBe('$(POD_IP)');
    expect(env(templateNamed(objects, 'natter-api'), 'TRUSTED_PROXY_IDENTITIES')).toBe(`${edge.serviceAccount}.${edge.namespace}.serviceaccount.identity.linkerd.cluster.local`);
  });

  it('gives each API replica its share of the service-wide rates, so all replicas together stay within them', () => {
    const template = templateNamed(objects, 'natter-api');
    for (const [name, prefix] of [['global', 'RATE_LIMIT_GLOBAL'], ['perAddress', 'RATE_LIMIT_PER_ADDRESS'], ['perUser', 'RATE_LIMIT_PER_USER']] as const) {
      const bucket = profile.api.rateLimit[name];
      const perSecond = Number(env(template, `${prefix}_PER_SECOND`));
      const burst = Number(env(template, `${prefix}_BURST`));
      expect(perSecond * profile.api.replicas, name).toBeLessThanOrEqual(bucket.perSecond);
      expect(burst * profile.api.replicas, name).toBeLessThanOrEqual(burstOf(bucket));
      // Rounded down by less than one request per replica, never more.
      expect((perSecond + 1) * profile.api.replicas, name).toBeGreaterThan(bucket.perSecond);
      expect(perSecond, name).toBeGreaterThanOrEqual(1);
    }
  });

  it('configures the edge implementation\'s own first line: Envoy Gateway meshed and its policies on our Gateway and route, or ingress-nginx limits', () => {
    const envoyObjects = objects.filter((object) => object.apiVersion.startsWith('gateway.envoyproxy.io/'));
    if (profile.edge.kind === 'ingress-nginx') {
      expect(envoyObjects).toEqual([]);
      const annotations = findObject(objects, 'Ingress', 'natter-api').metadata?.annotations ?? {};
      expect(annotations['nginx.ingress.kubernetes.io/limit-rps']).toBe(String(profile.api.rateLimit.perAddress.perSecond));
      expect(annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('64k');
      return;
    }
    const gateway = findObject(objects, 'Gateway', 'natter-api-gateway');
    if (profile.edge.gatewayApi.implementation === 'custom') {
      // Nothing implementation-specific unless the profile names the implementation.
      expect(envoyObjects).toEqual([]);
      expect(specOf(gateway).infrastructure).toBeUndefined();
      return;
    }
    // Envoy listens on the listener ports + 10000; those stay out of Linkerd so Envoy sees the client.
    expect(specOf(gateway).infrastructure.annotations).toEqual({ 'linkerd.io/inject': 'enabled', 'config.linkerd.io/skip-inbound-ports': '10443,10080' });
    expect(envoyObjects.map((object) => object.kind).sort()).toEqual(['BackendTrafficPolicy', 'ClientTrafficPolicy']);
    const client = findObject(objects, 'ClientTrafficPolicy', 'natter-api-gateway');
    expect(specOf(client).targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'natter-api-gateway' }]);
    expect(specOf(client).tls.minVersion).toBe('1.2');
    const backend = findObject(objects, 'BackendTrafficPolicy', 'natter-api');
    expect(specOf(backend).targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'natter-api' }]);
    expect(specOf(backend).requestBuffer.limit).toBe('64Ki');
    expect(specOf(backend).rateLimit === undefined).toBe(!profile.edge.gatewayApi.envoyGateway.clientRateLimit);
  });
});

describe('Gateway API variants beyond the profile files', () => {
  const base = PROFILES.find((profile) => profile.edge.kind === 'gateway-api') ?? PROFILES[0]!;
  const synth = (profile: NatterProfile): Manifest[] => synthesizeProfile(profile).objects as unknown as Manifest[];

  it('emits only standard Gateway API objects for a custom implementation, and admits its named data plane', () => {
    const dataPlane = { namespace: 'gateway-system', podLabels: { app: 'edge-proxy' }, serviceAccount: 'edge-proxy' };
    const profile: NatterProfile = { ...base, edge: { ...base.edge, kind: 'gateway-api', gatewayApi: { ...base.edge.gatewayApi, implementation: 'custom', dataPlane } } };
    const objects = synth(profile);
    expect(objects.filter((object) => object.apiVersion.startsWith('gateway.envoyproxy.io/'))).toEqual([]);
    expect(specOf(findObject(objects, 'Gateway', 'natter-api-gateway')).infrastructure).toBeUndefined();
    expect(env(templateNamed(objects, 'natter-api'), 'TRUSTED_PROXY_IDENTITIES')).toBe('edge-proxy.gateway-system.serviceaccount.identity.linkerd.cluster.local');
    const policy = findObject(objects, 'NetworkPolicy', 'natter-api-ingress-from-edge');
    expect(specOf(policy).ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } }, podSelector: { matchLabels: { app: 'edge-proxy' } } }]);
  });

  it('adds the per-client-address rule at Envoy Gateway when asked, keyed on every distinct source address', () => {
    const profile: NatterProfile = { ...base, edge: { ...base.edge, kind: 'gateway-api', gatewayApi: { ...base.edge.gatewayApi, implementation: 'envoy-gateway', envoyGateway: { ...base.edge.gatewayApi.envoyGateway, clientRateLimit: true } } } };
    const rules = specOf(findObject(synth(profile), 'BackendTrafficPolicy', 'natter-api')).rateLimit.global.rules;
    expect(rules).toEqual(['0.0.0.0/0', '::/0'].map((value) => ({ clientSelectors: [{ sourceCIDR: { type: 'Distinct', value } }], limit: { requests: profile.api.rateLimit.perAddress.perSecond, unit: 'Second' } })));
  });
});

describe('edge invariants fail on broken manifests', () => {
  const gatewayProfile = PROFILES.find((profile) => profile.edge.kind === 'gateway-api')!;
  const objects = manifestsOf(gatewayProfile);
  const host = gatewayProfile.edge.host;
  const mutate = (change: (objects: Manifest[]) => void): Manifest[] => {
    const copy = clone(objects);
    change(copy);
    return copy;
  };
  const redirect = (all: Manifest[]) => findObject(all, 'HTTPRoute', 'natter-api-https-redirect');
  const route = (all: Manifest[]) => findObject(all, 'HTTPRoute', 'natter-api');
  const gateway = (all: Manifest[]) => findObject(all, 'Gateway', 'natter-api-gateway');

  it('fails when the plain-HTTP listener also serves the API', () => {
    const broken = mutate((all) => specOf(redirect(all)).rules.push({ backendRefs: [{ name: 'natter-api-service', port: 4567 }] }));
    expect(tlsProblems(broken, 'natter-tls')).toEqual(['Gateway/natter-api-gateway listener http: HTTPRoute/natter-api-https-redirect rule 1 does more than redirect to https with 301']);
    expect(redirectOnlyProblems([], 'listener http')).toEqual(['listener http: no route, so it answers 404 instead of redirecting to HTTPS']);
  });

  it('fails when the API route forgets its sectionName (it would attach to the HTTP listener too)', () => {
    const broken = mutate((all) => delete specOf(route(all)).parentRefs[0].sectionName);
    expect(admitsOnlyProblems(broken, API_SERVICE, host)).toEqual(['HTTPRoute/natter-api: a parentRef without sectionName attaches to every listener, plain HTTP included']);
    expect(tlsProblems(broken, 'natter-tls')).toContain('Gateway/natter-api-gateway listener http: HTTPRoute/natter-api rule 0 does more than redirect to https with 301');
  });

  it('fails when the HTTPS listener has no certificate, or a listener is plain TCP', () => {
    const noCertificate = mutate((all) => delete specOf(gateway(all)).listeners[0].tls);
    expect(tlsProblems(noCertificate, 'natter-tls')).toEqual(['Gateway/natter-api-gateway listener https: HTTPS must terminate TLS with the Secret natter-tls of its own namespace']);
    const tcp = mutate((all) => specOf(gateway(all)).listeners.push({ name: 'db', protocol: 'TCP', port: 5432 }));
    expect(tlsProblems(tcp, 'natter-tls')).toEqual(['Gateway/natter-api-gateway listener db: protocol TCP is neither HTTPS nor a redirecting HTTP']);
  });

  it('fails when a route reaches another Service, another namespace\'s routes are accepted, or a second edge appears', () => {
    const otherBackend = mutate((all) => (specOf(route(all)).rules[0].backendRefs[0].name = 'natter-database-service'));
    expect(admitsOnlyProblems(otherBackend, API_SERVICE, host)).toEqual(['HTTPRoute/natter-api: backend Service /natter-database-service:4567 is not natter-api-service:4567']);
    const allNamespaces = mutate((all) => (specOf(gateway(all)).listeners[0].allowedRoutes.namespaces.from = 'All'));
    expect(admitsOnlyProblems(allNamespaces, API_SERVICE, host)).toEqual(['Gateway/natter-api-gateway listener https: must accept HTTPRoutes of its own namespace only']);
    const loadBalancer = mutate((all) => (specOf(findObject(all, 'Service', 'natter-api-service')).type = 'LoadBalancer'));
    expect(edgesOf(loadBalancer).map((object) => object.kind)).toEqual(['Service', 'Gateway']);
  });
});

describe('Envoy Gateway proxy names', () => {
  it('match Envoy Gateway\'s own test data and cut long names the way it does', () => {
    expect(envoyProxyServiceAccount({ namespace: 'default', name: 'gateway-1' })).toBe('envoy-default-gateway-1-bfd08ef4');
    expect(envoyProxyServiceAccount({ namespace: 'default', name: 'gateway-2' })).toBe('envoy-default-gateway-2-5e70ed84');
    const long = envoyProxyServiceAccount({ namespace: 'a-rather-long-namespace-name', name: 'and-a-gateway-name-that-is-long' });
    expect(long).toMatch(/^envoy-a-rather-long-namespace-name-and-a-gateway-name-[0-9a-f]{8}$/);
    expect(long.length).toBeLessThanOrEqual(63);
  });
});
