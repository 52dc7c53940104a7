import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { findObject, type Manifest, type PodEndpoint, readCrdDirectory, runChecks } from '@natter/kube-check';
import { ALL_VARIANTS, clusterModel, edgePodOf, manifestsOf, OUTSIDERS, variantName } from './natter-cluster.js';

/** The first schema check compiles kubernetes-models' type declarations (seconds on a busy machine). */
const SCHEMA_TIMEOUT = 60_000;
const ADMIN_PORT = 4191;
/** The CRDs npm run check validates against. */
const crds = readCrdDirectory(fileURLToPath(new URL('../crds', import.meta.url)));

const specOf = <T>(object: Manifest): T => object.spec as T;

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('Linkerd proxy metrics, port 4191 (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const { evaluator, pods } = clusterModel(objects, profile);
  const monitoring = profile.monitoring;
  const scraper: PodEndpoint | undefined = monitoring === undefined
    ? undefined
    : { kind: 'pod', name: 'prometheus', namespace: monitoring.namespace, labels: { ...monitoring.podLabels }, ip: '10.244.3.10', ports: [] };
  const impostor: PodEndpoint = { kind: 'pod', name: 'impostor', namespace: monitoring?.namespace ?? 'linkerd-viz', labels: { app: 'something-else' }, ip: '10.244.3.11', ports: [] };
  const evaluatorWith = clusterModel(objects, profile).evaluator;

  it('lets the configured scraper reach every proxy\'s admin port, and nobody else: not its neighbours, the ingress controller or our own pods', () => {
    for (const pod of Object.values(pods)) {
      // CloudNativePG's instances are not meshed: they have no proxy, so their 4191 stays closed.
      const meshed = !(profile.database.engine === 'cloudnative-pg' && pod.name === 'natter-database');
      if (scraper) expect(evaluatorWith.isAllowed(scraper, pod, { port: ADMIN_PORT }), pod.name).toBe(meshed);
      if (scraper) expect(evaluatorWith.isAllowed(scraper, pod, { port: 4143 }), `${pod.name} 4143`).toBe(false);
      expect(evaluator.isAllowed(impostor, pod, { port: ADMIN_PORT }), pod.name).toBe(false);
      expect(evaluator.isAllowed(edgePodOf(profile), pod, { port: ADMIN_PORT }), pod.name).toBe(false);
      expect(evaluator.isAllowed(OUTSIDERS.impostor, pod, { port: ADMIN_PORT }), pod.name).toBe(false);
      for (const other of Object.values(pods)) if (other !== pod) expect(evaluator.isAllowed(other, pod, { port: ADMIN_PORT }), `${other.name} -> ${pod.name}`).toBe(false);
    }
  });

  it('covers the admin port of every pod with a deny-by-default Server that admits only the scraper\'s mesh identity (or closes it when no scraper is configured)', () => {
    const servers = objects.filter((object) => object.kind === 'Server' && specOf<{ port: unknown }>(object).port === ADMIN_PORT);
    if (monitoring === undefined) {
      expect(servers).toEqual([]);
      return;
    }
    expect(servers.map((server) => specOf<object>(server))).toEqual([{ podSelector: { matchLabels: {} }, port: ADMIN_PORT, proxyProtocol: 'HTTP/1', accessPolicy: 'deny' }]);
    const policies = objects.filter((object) => object.kind === 'AuthorizationPolicy' && specOf<{ targetRef: { name: string } }>(object).targetRef.name === servers[0]!.metadata?.name);
    const identities = policies
      .flatMap((policy) => specOf<{ requiredAuthenticationRefs: { kind: string; name: string }[] }>(policy).requiredAuthenticationRefs)
      .map((ref) => findObject(objects, ref.kind, ref.name))
      .flatMap((authentication) => {
        expect(authentication.kind).toBe('MeshTLSAuthentication');
        return specOf<{ identityRefs: { name: string; namespace: string }[] }>(authentication).identityRefs.map((ref) => `${ref.namespace}/${ref.name}`);
      });
    expect(identities).toEqual([`${monitoring.namespace}/${monitoring.serviceAccount}`]);
    expect(objects.filter((object) => object.kind === 'HTTPRoute' && object.apiVersion.startsWith('policy.linkerd.io/'))).toEqual([]);
  });

  it('passes npm run check: the Server selects meshed pods and both layers agree on the scraper', () => {
    const linkerd = runChecks(objects, { crds }).findings.filter((found) => found.severity === 'FAIL');
    expect(linkerd.map((found) => `${found.object} ${found.field}: ${found.message}`)).toEqual([]);
  }, SCHEMA_TIMEOUT);
});

describe('Linkerd proxy metrics, the layers must agree', () => {
  it('npm run check fails when the scraper\'s NetworkPolicies are gone but Linkerd still admits it', () => {
    const profile = ALL_VARIANTS.find((candidate) => candidate.monitoring !== undefined)!;
    const objects = manifestsOf(profile).filter((object) => !(object.kind === 'NetworkPolicy' && object.metadata?.name?.endsWith('-ingress-from-metrics-scraper')));
    const fails = runChecks(objects, { crds }).findings.filter((found) => found.severity === 'FAIL').map((found) => found.message);
    expect(fails).toContain(`admits ${profile.monitoring!.namespace}/${profile.monitoring!.serviceAccount}, but the NetworkPolicies let no pod with that identity reach port 4191 (the layers disagree)`);
  }, SCHEMA_TIMEOUT);
});
