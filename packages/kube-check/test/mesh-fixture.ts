import type { Manifest } from '../src/manifest.js';
import { deployment, networkPolicy, restrictedPodSpec, service } from './fixtures.js';

/**
 * A small, fully wired meshed system that passes every check: namespace `shop` (restricted,
 * Linkerd-injected with linkerd-cni, default-inbound deny), `web` (port 4567, which Linkerd skips by
 * default, so its pods replace the skip lists) calling `db` (5432); default-deny policies, one rule
 * per flow plus DNS, the proxy port 4143 with each meshed flow, and a Linkerd Server per port whose
 * authorization admits exactly the clients the NetworkPolicies admit. Tests break one thing each.
 */
export function meshedShop(): Manifest[] {
  const skip = { 'config.linkerd.io/skip-inbound-ports': '4190,4191', 'config.linkerd.io/skip-outbound-ports': '4190,4191' };
  const webSpec = restrictedPodSpec();
  webSpec.serviceAccountName = 'web';
  webSpec.automountServiceAccountToken = false;
  webSpec.containers[0] = {
    ...webSpec.containers[0]!,
    image: 'example/web@sha256:' + 'a'.repeat(64),
    ports: [{ name: 'http', containerPort: 4567, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  };
  const dbSpec = restrictedPodSpec();
  dbSpec.serviceAccountName = 'db';
  dbSpec.automountServiceAccountToken = false;
  dbSpec.containers[0] = {
    ...dbSpec.containers[0]!,
    name: 'db',
    image: 'example/db@sha256:' + 'b'.repeat(64),
    ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
    readinessProbe: { tcpSocket: { port: 'postgres' } },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  };
  const web = deployment('web', { app: 'web' }, webSpec);
  const db = deployment('db', { app: 'db' }, dbSpec);
  for (const object of [web, db]) ((object.spec as { template: { metadata: Record<string, unknown> } }).template.metadata).annotations = { ...skip };
  const serviceAccount = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'shop' }, automountServiceAccountToken: false });
  const dns = { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'shop',
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.30' },
        annotations: { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/default-inbound-policy': 'deny', 'natter.local/linkerd-mode': 'linkerd-cni' },
      },
    },
    serviceAccount('web'),
    serviceAccount('db'),
    web,
    db,
    service('web', { app: 'web' }, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]),
    service('db', { app: 'db' }, [{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]),
    networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    networkPolicy('dns', { podSelector: {}, policyTypes: ['Egress'], egress: [dns] }),
    networkPolicy('web-to-db', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }] }] }),
    networkPolicy('db-from-web', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }] }] }),
    networkPolicy('web-from-ingress', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }], ports: [{ port: 4567, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }] }],
    }),
    linkerdServer('db', 'postgres'),
    linkerdServer('web', 'http'),
    meshTls('db-clients', [{ kind: 'ServiceAccount', name: 'web' }]),
    meshTls('web-clients', [{ kind: 'ServiceAccount', name: 'ingress-nginx', namespace: 'ingress-nginx' }]),
    authorization('db-from-clients', 'db', 'db-clients'),
    authorization('web-from-clients', 'web', 'web-clients'),
  ];
}

export function linkerdServer(name: string, port: string): Manifest {
  return { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name, namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: name } }, port, proxyProtocol: 'opaque', accessPolicy: 'deny' } };
}

export function meshTls(name: string, identityRefs: Record<string, string>[]): Manifest {
  return { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'MeshTLSAuthentication', metadata: { name, namespace: 'shop' }, spec: { identityRefs } };
}

export function authorization(name: string, server: string, authentication: string): Manifest {
  return {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: 'shop' },
    spec: { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: server }, requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: authentication }] },
  };
}

type Mutable = Record<string, any>;

/** The object of a kind and name, typed loosely so tests can break it. */
export function find(objects: Manifest[], kind: string, name: string): Mutable {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as Mutable;
}

export function podSpecOf(objects: Manifest[], name: string): Mutable {
  return find(objects, 'Deployment', name).spec.template.spec;
}

export function without(objects: Manifest[], kind: string, name: string): Manifest[] {
  return objects.filter((object) => !(object.kind === kind && object.metadata?.name === name));
}
