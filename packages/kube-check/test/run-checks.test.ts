import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Finding, formatFinding } from '../src/checks/finding.js';
import { runChecks } from '../src/checks/run-checks.js';
import { readCrdDirectory } from '../src/crd-schema.js';
import type { Manifest } from '../src/manifest.js';
import { authorization, find, meshTls, meshedShop, podSpecOf, without } from './mesh-fixture.js';
import { networkPolicy } from './fixtures.js';

const CRDS = readCrdDirectory(new URL('../../../charts/crds', import.meta.url).pathname);

function check(objects: Manifest[], options: { kubeVersion?: string; linkerdMode?: 'linkerd-cni' | 'linkerd-init' } = {}): Finding[] {
  return [...runChecks(objects, { crds: CRDS, ...options }).findings];
}

function broken(mutate: (objects: Manifest[]) => Manifest[] | void): Manifest[] {
  const objects = structuredClone(meshedShop());
  return mutate(objects) ?? objects;
}

const lines = (findings: readonly Finding[]): string[] => findings.map(formatFinding);

/** The first schema check compiles kubernetes-models' type declarations (seconds on a busy machine). */
describe('runChecks', { timeout: 60_000 }, () => {
  it('passes the fully wired meshed fixture without a finding', () => {
    expect(lines(check(meshedShop()))).toEqual([]);
  });

  describe('schema', () => {
    it('fails on a misspelt field with its path', () => {
      const findings = check(broken((all) => { podSpecOf(all, 'web').containers[0].securityContext.readOnlyRootFileSystem = true; }));
      expect(lines(findings)).toContain('FAIL Deployment/shop/web spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field .spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem');
    });

    it('fails on a wrong type', () => {
      const findings = check(broken((all) => { podSpecOf(all, 'db').containers[0].ports[0].containerPort = 'five'; }));
      expect(findings.find((found) => found.check === 'schema')).toMatchObject({ severity: 'FAIL', field: 'spec.template.spec.containers[0].ports[0].containerPort' });
    });
  });

  describe('custom resources', () => {
    it('fails on an unknown field of a Linkerd Server, against the vendored CRD', () => {
      const findings = check(broken((all) => { find(all, 'Server', 'db').spec.portt = 1; }));
      expect(lines(findings)).toContain('FAIL Server/shop/db spec.portt: /spec/portt is an unknown field');
    });

    it('fails on a kind nobody has a schema for, never passing it silently', () => {
      const findings = check([...meshedShop(), { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: {} }]);
      expect(lines(findings)).toEqual([expect.stringMatching(/^FAIL Widget\/shop\/w apiVersion: no schema for example.com\/v1 Widget/)]);
    });

    it('validates against every CRD file of a directory, a newly added one included', () => {
      const directory = mkdtempSync(join(tmpdir(), 'kube-check-crds-'));
      try {
        writeFileSync(join(directory, 'widgets.yaml'), `# vendored for the test\n${WIDGET_CRD}`);
        const crds = readCrdDirectory(directory);
        const widget = (size: unknown): Manifest => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: { size } });
        expect(runChecks([widget(3)], { crds }).findings.filter((found) => found.check === 'custom-resource' && found.severity === 'FAIL')).toEqual([]);
        expect(lines(runChecks([widget('big')], { crds }).findings)).toContain('FAIL Widget/shop/w spec.size: /spec/size must be integer, got string');
        expect(lines(runChecks([widget(3)], { crds }).findings).join('\n')).toMatch(/v1 Widget is deprecated/);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });

    it('uses CRDs that come with the manifests themselves', () => {
      const findings = runChecks([...(readCrdYaml()), { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: { size: 1 } }]).findings;
      expect(findings.filter((found) => found.check === 'custom-resource' && found.severity === 'FAIL')).toEqual([]);
    });
  });

  describe('Kubernetes version', () => {
    it('fails on an API the target no longer serves', () => {
      const pdb: Manifest = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } };
      expect(lines(check([...meshedShop(), pdb]))).toContain('FAIL PodDisruptionBudget/shop/web apiVersion: policy/v1beta1 PodDisruptionBudget is no longer served since Kubernetes 1.25; use policy/v1 (PodSecurityPolicy: Pod Security Admission)');
    });

    it('warns on a field an older target would drop, and takes the target from --kube-version or the namespace pin', () => {
      const objects = broken((all) => { podSpecOf(all, 'web').securityContext.appArmorProfile = { type: 'RuntimeDefault' }; });
      expect(check(objects).filter((found) => found.check === 'kubernetes-version')).toEqual([]); // pinned v1.30
      expect(lines(check(objects, { kubeVersion: '1.29' }))).toContain('WARN Deployment/shop/web spec.template.spec.securityContext.appArmorProfile: securityContext.appArmorProfile needs Kubernetes 1.30; an older API server drops it silently (target 1.29)');
      expect(runChecks(objects, { crds: CRDS, kubeVersion: '1.29' }).target).toEqual({ version: '1.29', minor: 29, source: '--kube-version' });
    });
  });

  describe('Pod Security', () => {
    it('fails on the exact field that breaks the namespace level', () => {
      const findings = check(broken((all) => { podSpecOf(all, 'web').hostNetwork = true; }));
      expect(lines(findings)).toContain('FAIL Deployment/shop/web spec.template.spec.hostNetwork: [baseline] Host Namespaces: must not be true (namespace shop enforces restricted)');
    });

    it("judges the pod Linkerd's injector produces: linkerd-init in a restricted namespace fails", () => {
      const findings = check(meshedShop(), { linkerdMode: 'linkerd-init' });
      expect(lines(findings)).toContain('FAIL Deployment/shop/web spec.template.spec.initContainers[linkerd-init].securityContext.capabilities.add: [baseline] Capabilities: NET_ADMIN is not in the baseline set (a container the Linkerd injector adds in linkerd-init mode) (namespace shop enforces restricted)');
    });

    it('warns for levels that are only audited or warned', () => {
      const findings = check(broken((all) => {
        find(all, 'Namespace', 'shop').metadata.labels = { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' };
        podSpecOf(all, 'db').containers[0].securityContext.capabilities.drop = ['all'];
      }));
      expect(lines(findings)).toContain('WARN Deployment/shop/db spec.template.spec.containers[db].securityContext.capabilities.drop: [restricted] Capabilities: must include ALL (namespace shop audits/warns at restricted)');
      expect(findings.filter((found) => found.severity === 'FAIL')).toEqual([]);
    });

    it('fails on a namespace label that is not a level', () => {
      const findings = check(broken((all) => { find(all, 'Namespace', 'shop').metadata.labels['pod-security.kubernetes.io/enforce'] = 'strict'; }));
      expect(lines(findings)).toContain('FAIL Namespace/shop metadata.labels: not a Pod Security level: "strict"');
    });
  });

  describe('wiring', () => {
    it.each<[string, (all: Manifest[]) => Manifest[] | void, string]>([
      ['a Service selector typo', (all) => { find(all, 'Service', 'db').spec.selector = { app: 'dB' }; }, 'FAIL Service/shop/db spec.selector: selector {"app":"dB"} matches no pod template'],
      ['a probe naming no port', (all) => { podSpecOf(all, 'web').containers[0].readinessProbe.httpGet.port = 'https'; }, 'FAIL Deployment/shop/web spec.template.spec.containers[app].readinessProbe: probe port https names no port of container app'],
      ['a missing ServiceAccount', (all) => without(all, 'ServiceAccount', 'db'), 'FAIL Deployment/shop/db spec.template.spec.serviceAccountName: ServiceAccount db is not among the manifests (pods are not created without it)'],
      ['a missing ConfigMap', (all) => { podSpecOf(all, 'web').volumes.push({ name: 'config', configMap: { name: 'web-config' } }); }, 'FAIL Deployment/shop/web spec.template.spec.volumes[config].configMap.name: ConfigMap web-config is not among the manifests'],
      ['a mount of an undefined volume', (all) => { podSpecOf(all, 'web').containers[0].volumeMounts = [{ name: 'cache', mountPath: '/cache' }]; }, 'FAIL Deployment/shop/web spec.template.spec.containers[app].volumeMounts[cache]: mounts volume cache, which the pod does not define'],
      ['a selector that misses its own template', (all) => { find(all, 'Deployment', 'web').spec.selector = { matchLabels: { app: 'webb' } }; }, 'FAIL Deployment/shop/web spec.selector: selector does not match the pod template\'s labels {"app":"web"}'],
      ['a PodDisruptionBudget selecting nothing', (all) => [...all, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'wbe' } } } }], 'FAIL PodDisruptionBudget/shop/web spec.selector: selects no pod template'],
      ['an Ingress backend that does not exist', (all) => [...all, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8080 } } } }] } }] } }], 'FAIL Ingress/shop/web spec.rules[0].http.paths[0].backend.service.port: Service web has no port 8080'],
    ])('fails on %s', (_, mutate, expected) => {
      expect(lines(check(broken(mutate)))).toContain(expected);
    });

    it('warns on a Secret nothing creates, unless an ExternalSecret makes it', () => {
      const mounted = broken((all) => { podSpecOf(all, 'db').volumes.push({ name: 'password', secret: { secretName: 'db-password' } }); });
      expect(lines(check(mounted))).toContain('WARN Deployment/shop/db spec.template.spec.volumes[password].secret.secretName: Secret db-password is not among the manifests and nothing here creates it: create it before deploying (secrets stay out of git)');
      const external: Manifest = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db-password', namespace: 'shop' }, spec: {} };
      expect(lines(runChecks([...mounted, external]).findings).filter((line) => line.includes('Secret db-password'))).toEqual([]);
    });

    it('warns on the default ServiceAccount and on a mounted token', () => {
      const findings = lines(check(broken((all) => { delete podSpecOf(all, 'web').serviceAccountName; delete podSpecOf(all, 'web').automountServiceAccountToken; })));
      expect(findings).toContain("WARN Deployment/shop/web spec.template.spec.serviceAccountName: runs as the namespace's default ServiceAccount: give it its own");
      expect(findings).toContain('WARN Deployment/shop/web spec.template.spec.automountServiceAccountToken: mounts a token of ServiceAccount default: set automountServiceAccountToken: false unless it calls the Kubernetes API');
    });
  });

  describe('network', () => {
    it('warns when a workload is not isolated and when a policy selects nothing', () => {
      const findings = lines(check(broken((all) => {
        const withoutDeny = without(all, 'NetworkPolicy', 'default-deny');
        find(withoutDeny, 'NetworkPolicy', 'dns').spec.podSelector = { matchLabels: { app: 'nothing' } };
        return withoutDeny;
      })));
      expect(findings).toContain('WARN Deployment/shop/db spec.template.metadata.labels: no NetworkPolicy selects it for Egress: every destination is allowed');
      expect(findings).toContain('WARN NetworkPolicy/shop/dns spec.podSelector: selects no pod template of the manifests');
    });
  });

  describe('Linkerd', () => {
    it('fails when the skip annotation is removed and the default list skips the application port', () => {
      const findings = lines(check(broken((all) => { delete find(all, 'Deployment', 'web').spec.template.metadata.annotations['config.linkerd.io/skip-inbound-ports']; })));
      expect(findings).toContain('FAIL Deployment/shop/web spec.template.metadata.annotations[config.linkerd.io/skip-inbound-ports]: port 4567 bypasses the proxy (skipped inbound): no mTLS, no authorization');
    });

    it('fails when a meshed port has no Server', () => {
      const findings = lines(check(broken((all) => without(without(all, 'Server', 'db'), 'AuthorizationPolicy', 'db-from-clients'))));
      expect(findings).toContain('FAIL Deployment/shop/db spec.template.spec.containers[db].ports[postgres]: meshed port postgres has no Server (the default policy deny closes it)');
    });

    it('fails when Linkerd admits an identity the NetworkPolicies keep out', () => {
      const findings = lines(check(broken((all) => { find(all, 'MeshTLSAuthentication', 'db-clients').spec.identityRefs.push({ kind: 'ServiceAccount', name: 'db' }); })));
      expect(findings).toContain('FAIL Server/shop/db spec: admits shop/db, but the NetworkPolicies let no pod with that identity reach port postgres (the layers disagree)');
    });

    it("takes a Server on the proxy's admin port as covering every meshed pod it selects, and holds its scraper to the NetworkPolicies", () => {
      const adminServer: Manifest = { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 'proxy-admin', namespace: 'shop' }, spec: { podSelector: { matchLabels: {} }, port: 4191, proxyProtocol: 'HTTP/1', accessPolicy: 'deny' } };
      const scraper = meshTls('scraper', [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }]);
      const scrapes = networkPolicy('scrapes', {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ port: 4191, protocol: 'TCP' }] }],
      });
      const admin = [adminServer, scraper, authorization('proxy-admin-from-scraper', 'proxy-admin', 'scraper')];
      expect(lines(check([...meshedShop(), ...admin, scrapes]))).toEqual([]);
      expect(lines(check([...meshedShop(), ...admin]))).toContain('FAIL Server/shop/proxy-admin spec: admits monitoring/prometheus, but the NetworkPolicies let no pod with that identity reach port 4191 (the layers disagree)');
      const onPostgres = { ...adminServer, spec: { ...(adminServer.spec as object), port: 5433 } };
      expect(lines(check([...meshedShop(), onPostgres, scraper, authorization('proxy-admin-from-scraper', 'proxy-admin', 'scraper'), scrapes]))).toContain('FAIL Server/shop/proxy-admin spec: selects no container port of a pod template (port 5433)');
    });

    it('fails when the NetworkPolicies let in a client Linkerd does not authorize', () => {
      const findings = lines(check(broken((all) => { find(all, 'MeshTLSAuthentication', 'db-clients').spec.identityRefs = [{ kind: 'ServiceAccount', name: 'nobody' }]; })));
      expect(findings).toContain('FAIL Deployment/shop/db -: the NetworkPolicies let web in on 5432/TCP but Linkerd authorizes no such client (the layers disagree)');
    });

    it("fails when a meshed flow does not open the proxy's inbound port", () => {
      const findings = lines(check(broken((all) => { find(all, 'NetworkPolicy', 'db-from-web').spec.ingress[0].ports.pop(); })));
      expect(findings).toContain("FAIL Deployment/shop/db -: meshed traffic from web arrives on the proxy's port 4143, which the NetworkPolicies block");
    });

    it('fails on an AuthorizationPolicy whose references do not resolve', () => {
      const findings = lines(check([...meshedShop(), authorization('dangling', 'nowhere', 'nobody-clients')]));
      expect(findings).toContain('FAIL AuthorizationPolicy/shop/dangling spec.targetRef: targets Server nowhere, which is not among the manifests');
      expect(findings).toContain('FAIL AuthorizationPolicy/shop/dangling spec.requiredAuthenticationRefs[0]: requires MeshTLSAuthentication nobody-clients, which is not among the manifests');
    });

    it('fails on a MeshTLSAuthentication naming a ServiceAccount that does not exist', () => {
      const findings = lines(check([...meshedShop(), meshTls('ghosts', [{ kind: 'ServiceAccount', name: 'ghost' }])]));
      expect(findings).toContain('FAIL MeshTLSAuthentication/shop/ghosts spec.identityRefs[0]: names ServiceAccount shop/ghost, which is not among the manifests');
    });
  });

  describe('secrets and images', () => {
    it('fails on Secret data and a literal password, never printing the value', () => {
      const findings = lines(check(broken((all) => {
        podSpecOf(all, 'web').containers[0].env = [{ name: 'DB_PASSWORD', value: 'hunter2' }];
        return [...all, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, stringData: { password: 'hunter2' } }];
      })));
      expect(findings).toContain('FAIL Secret/shop/db stringData: Secret carries data (password)');
      expect(findings).toContain('FAIL Deployment/shop/web spec.template.spec.containers[app].env[DB_PASSWORD].value: container app env DB_PASSWORD has a literal value');
      expect(findings.join('\n')).not.toContain('hunter2');
    });

    it('warns on an image pinned by tag and on an all-zero digest', () => {
      const findings = lines(check(broken((all) => {
        podSpecOf(all, 'web').containers[0].image = 'example/web:1.0';
        podSpecOf(all, 'db').containers[0].image = `example/db@sha256:${'0'.repeat(64)}`;
      })));
      expect(findings).toContain('WARN Deployment/shop/web spec.template.spec.containers[app].image: example/web:1.0 is not pinned by digest: the tag can be moved under you');
      expect(findings).toContain('WARN Deployment/shop/db spec.template.spec.containers[db].image: the digest is an all-zero placeholder: no registry serves it, the deploy fails closed until it is set');
    });
  });
});

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Widget, plural: widgets }
  versions:
    - name: v1
      served: true
      storage: true
      deprecated: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer }
`;

function readCrdYaml(): Manifest[] {
  return [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: {
    group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
  } }];
}

