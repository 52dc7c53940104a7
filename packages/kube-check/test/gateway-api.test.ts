import { describe, expect, it } from 'vitest';
import { gatewayApiFindings } from '../src/checks/gateway-api-check.js';
import { formatFinding } from '../src/checks/finding.js';
import type { Manifest } from '../src/manifest.js';
import { service } from './fixtures.js';

const V1 = 'gateway.networking.k8s.io/v1';
const sameNamespaceRoutes = () => ({ namespaces: { from: 'Same' }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] });

/** A Gateway with HTTPS (certificate from cert-manager) and HTTP, a route to `web:80` and a redirect, and an implementation policy. */
function edge(): Manifest[] {
  return [
    service('web', { app: 'web' }, [{ port: 80, targetPort: 8080 }]),
    {
      apiVersion: V1,
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'shop', annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } },
      spec: {
        gatewayClassName: 'eg',
        listeners: [
          { name: 'https', protocol: 'HTTPS', port: 443, hostname: 'shop.example', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'shop-tls' }] }, allowedRoutes: sameNamespaceRoutes() },
          { name: 'http', protocol: 'HTTP', port: 80, hostname: 'shop.example', allowedRoutes: sameNamespaceRoutes() },
        ],
      },
    },
    {
      apiVersion: V1,
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { parentRefs: [{ name: 'edge', sectionName: 'https' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
    },
    {
      apiVersion: V1,
      kind: 'HTTPRoute',
      metadata: { name: 'redirect', namespace: 'shop' },
      spec: { parentRefs: [{ name: 'edge', sectionName: 'http' }], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }] },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'BackendTrafficPolicy',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'web' }] },
    },
  ];
}

function findings(objects: readonly Manifest[]): string[] {
  return gatewayApiFindings(objects).map(formatFinding);
}

function changed(change: (objects: Manifest[]) => void): Manifest[] {
  const objects = structuredClone(edge());
  change(objects);
  return objects;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spec = (objects: Manifest[], kind: string, name: string): any => objects.find((object) => object.kind === kind && object.metadata?.name === name)!.spec;

describe('gatewayApiFindings', () => {
  it('accepts routes wired to a listener and a Service port, a certificate cert-manager issues, and a policy on an existing route', () => {
    expect(findings(edge())).toEqual([]);
  });

  it('fails when a route names a missing Gateway or listener, or omits sectionName (it would attach to plain HTTP too)', () => {
    expect(findings(changed((all) => (spec(all, 'HTTPRoute', 'web').parentRefs[0].name = 'other')))).toEqual(['FAIL HTTPRoute/shop/web spec.parentRefs[0].name: Gateway shop/other is not among the manifests']);
    expect(findings(changed((all) => (spec(all, 'HTTPRoute', 'web').parentRefs[0].sectionName = 'tls')))).toEqual(['FAIL HTTPRoute/shop/web spec.parentRefs[0].sectionName: Gateway edge has no listener tls']);
    expect(findings(changed((all) => delete spec(all, 'HTTPRoute', 'web').parentRefs[0].sectionName))).toEqual([
      'FAIL HTTPRoute/shop/web spec.parentRefs[0]: no sectionName: the route attaches to every listener of Gateway edge (https, http), plain HTTP included; name one',
    ]);
  });

  it('fails when the listener does not admit the route: another namespace, another kind', () => {
    const elsewhere = changed((all) => {
      const route = all.find((object) => object.metadata?.name === 'web' && object.kind === 'HTTPRoute')!;
      (route.metadata as { namespace: string }).namespace = 'other';
      spec(all, 'HTTPRoute', 'web').parentRefs[0].namespace = 'shop';
      spec(all, 'HTTPRoute', 'web').rules[0].backendRefs[0].namespace = 'shop';
    });
    expect(findings(elsewhere)).toEqual([
      'FAIL HTTPRoute/other/web spec.parentRefs[0]: listener https of Gateway edge accepts routes of its own namespace only',
      'FAIL HTTPRoute/other/web spec.rules[0].backendRefs[0]: Service shop/web is in another namespace and no ReferenceGrant there admits HTTPRoutes from other',
      'FAIL BackendTrafficPolicy/shop/web spec.targetRefs[0].name: HTTPRoute web is not among the manifests: the policy applies to nothing',
    ]);
    const grpc = changed((all) => (spec(all, 'Gateway', 'edge').listeners[0].allowedRoutes.kinds = [{ kind: 'GRPCRoute' }]));
    expect(findings(grpc)).toEqual(['FAIL HTTPRoute/shop/web spec.parentRefs[0]: listener https of Gateway edge does not accept HTTPRoute']);
  });

  it('fails when a backend Service is missing or lacks the port', () => {
    expect(findings(changed((all) => (spec(all, 'HTTPRoute', 'web').rules[0].backendRefs[0].name = 'db')))).toEqual(['FAIL HTTPRoute/shop/web spec.rules[0].backendRefs[0].name: Service shop/db is not among the manifests']);
    expect(findings(changed((all) => (spec(all, 'HTTPRoute', 'web').rules[0].backendRefs[0].port = 8080)))).toEqual(['FAIL HTTPRoute/shop/web spec.rules[0].backendRefs[0].port: Service web has no port 8080']);
  });

  it('warns when nothing creates the listener certificate (no Secret, no cert-manager issuer annotation)', () => {
    const selfSupplied = changed((all) => delete (all[1]!.metadata as { annotations?: unknown }).annotations);
    expect(findings(selfSupplied)).toEqual([
      'WARN Gateway/shop/edge spec.listeners[0].tls.certificateRefs[0].name: Secret shop-tls is not among the manifests and no cert-manager issuer annotation issues it: create it before deploying (secrets stay out of git)',
    ]);
  });
});
