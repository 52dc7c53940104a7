import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, clusterModel, edgePodOf, isMeshed, manifestsOf, variantName } from './natter-cluster.js';
import { findObject, type Manifest, mapSelectorMatches, podTemplates } from '@natter/kube-check';

interface ServerSpec {
  podSelector: { matchLabels: Record<string, string> };
  port: string;
  proxyProtocol: string;
  accessPolicy: string;
}

const specOf = <T>(object: Manifest): T => object.spec as T;

function authenticationsFor(objects: readonly Manifest[], server: string): Manifest[] {
  return objects
    .filter((object) => object.kind === 'AuthorizationPolicy')
    .filter((policy) => specOf<{ targetRef: { kind: string; name: string } }>(policy).targetRef.name === server)
    .flatMap((policy) => specOf<{ requiredAuthenticationRefs: { kind: string; name: string }[] }>(policy).requiredAuthenticationRefs)
    .map((ref) => findObject(objects, ref.kind, ref.name));
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('Linkerd authorization (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const servers = objects.filter((object) => object.kind === 'Server');
  const { evaluator, pods } = clusterModel(objects, profile);
  const edge = edgePodOf(profile);

  it('covers every port a Service exposes with a deny-by-default Server on a real container port', () => {
    const templates = podTemplates(objects);
    for (const server of servers) {
      const spec = specOf<ServerSpec>(server);
      expect(spec.accessPolicy).toBe('deny');
      const selected = templates.filter((template) => mapSelectorMatches(spec.podSelector.matchLabels, template.labels));
      expect(selected.length, server.metadata?.name).toBe(1);
      expect(selected[0]!.spec.containers[0]!.ports?.map((port) => port.name)).toContain(spec.port);
    }
    // Unmeshed pods (the CloudNativePG instances) have no proxy to enforce a Server.
    const served = templates.filter((template) => isMeshed(objects, template) && template.spec.containers.some((container) => (container.ports ?? []).length > 0));
    expect(servers.map((server) => server.metadata?.name).sort()).toEqual(served.map((template) => template.name).sort());
  });

  it('denies by default on every meshed port of the namespace that has no Server', () => {
    expect(findObject(objects, 'Namespace', 'natter-api').metadata?.annotations?.['config.linkerd.io/default-inbound-policy']).toBe('deny');
  });

  it('attaches no route to a Linkerd Server or a Service, which would withdraw Linkerd\'s automatic authorization of kubelet probes', () => {
    // The edge's HTTPRoutes attach to the Gateway (north-south); Linkerd reads only routes whose
    // parent is a Server (inbound policy) or a Service (its outbound routing).
    const routes = objects.filter((object) => object.kind === 'HTTPRoute' || object.kind === 'GRPCRoute');
    const parents = routes.flatMap((route) => specOf<{ parentRefs: { kind?: string }[] }>(route).parentRefs.map((ref) => ref.kind ?? 'Gateway'));
    expect(parents.filter((kind) => kind !== 'Gateway')).toEqual([]);
    expect(routes.every((route) => route.apiVersion === 'gateway.networking.k8s.io/v1')).toBe(true);
  });

  it('resolves every AuthorizationPolicy reference', () => {
    for (const policy of objects.filter((object) => object.kind === 'AuthorizationPolicy')) {
      const spec = specOf<{ targetRef: { kind: string; name: string }; requiredAuthenticationRefs: { kind: string; name: string }[] }>(policy);
      findObject(objects, spec.targetRef.kind, spec.targetRef.name);
      for (const ref of spec.requiredAuthenticationRefs) findObject(objects, ref.kind, ref.name);
    }
  });

  it('authorizes exactly the identities the NetworkPolicies let through (the two layers agree)', () => {
    for (const server of servers) {
      const spec = specOf<ServerSpec>(server);
      const target = Object.values(pods).find((pod) => mapSelectorMatches(spec.podSelector.matchLabels, pod.labels))!;
      const port = target.ports.find((candidate) => candidate.name === spec.port)!.containerPort;
      const identities = authenticationsFor(objects, server.metadata?.name ?? '')
        .filter((auth) => auth.kind === 'MeshTLSAuthentication')
        .flatMap((auth) => specOf<{ identityRefs: { name: string; namespace?: string }[] }>(auth).identityRefs)
        .map((ref) => `${ref.namespace ?? 'natter-api'}/${ref.name}`)
        .sort();
      const allowedPeers = [...Object.values(pods), edge]
        .filter((peer) => peer !== target && evaluator.isAllowed(peer, target, { port }))
        .map((peer) => (peer === edge ? `${edge.namespace}/${edge.serviceAccount}` : `natter-api/${templateAccount(objects, peer.name)}`))
        .sort();
      expect(identities, server.metadata?.name).toEqual(allowedPeers);
    }
  });

  it('admits unmeshed node-port clients to the API only where the node port exists', () => {
    const networks = authenticationsFor(objects, 'natter-api').filter((auth) => auth.kind === 'NetworkAuthentication');
    if (profile.api.nodePort === undefined) {
      expect(networks).toEqual([]);
    } else {
      expect(networks.flatMap((auth) => specOf<{ networks: { cidr: string }[] }>(auth).networks.map((network) => network.cidr))).toEqual([...profile.api.nodePort.clientCidrs]);
    }
  });
});

function templateAccount(objects: readonly Manifest[], name: string): string {
  return podTemplates(objects).find((template) => template.name === name)?.spec.serviceAccountName ?? '<none>';
}
