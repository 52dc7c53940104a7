import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import { cidrContains } from './cidr.js';
import type { FlowPort, Peer } from './connectivity.js';
import { type LabelSelector, selectorMatches } from './labels.js';
import { isInjected, isPortSkipped } from './linkerd.js';
import { type Manifest, type PodTemplate, namespaceOf, objectId } from './manifest.js';

/**
 * Linkerd's inbound authorization as the policy controller applies it (linkerd.io "Authorization
 * Policy"): a meshed port is covered by the Servers that select its pod and port; a Server admits
 * the clients its AuthorizationPolicies admit (every required authentication must hold: mesh
 * identities, ServiceAccounts, networks), else its `accessPolicy`; a port without a Server falls
 * back to the pod's or namespace's `config.linkerd.io/default-inbound-policy`.
 */

export const DEFAULT_INBOUND_POLICY_ANNOTATION = 'config.linkerd.io/default-inbound-policy';
/** The policy of a default Linkerd install when nothing says otherwise. */
const CLUSTER_DEFAULT_POLICY = 'all-unauthenticated';

export interface LinkerdServer {
  readonly object: Manifest;
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly podSelector?: LabelSelector;
  readonly port?: number | string;
  readonly accessPolicy: string;
}

/** Who an authorization lets in: mesh identities (`ns/sa`, `ns/*`, `*`) and networks. */
export interface Admission {
  readonly identities: readonly string[];
  readonly networks: readonly { readonly cidr: string; readonly except?: readonly string[] }[];
  /** The AuthorizationPolicies that apply. */
  readonly policies: readonly string[];
}

/** identity: admitted by mesh identity (mTLS); network: by source address only; default: no Server decides, the default policy lets it in; refused: Linkerd closes it; unmeshed: no proxy in front of the port. */
export type LinkerdVerdict = 'identity' | 'network' | 'default' | 'refused' | 'unmeshed';

export interface BrokenReference {
  readonly object: string;
  readonly field: string;
  readonly message: string;
}

export interface LinkerdPolicy {
  readonly servers: readonly LinkerdServer[];
  readonly brokenReferences: readonly BrokenReference[];
  isMeshed(template: PodTemplate): boolean;
  /** The Servers that cover a container port of a template. */
  serversFor(template: PodTemplate, port: IContainerPort): LinkerdServer[];
  admission(server: LinkerdServer): Admission;
  authorize(from: Peer, to: Peer, port: FlowPort): LinkerdVerdict;
  defaultPolicy(template: PodTemplate): string;
}

interface Ref {
  readonly group?: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export function linkerdPolicyOf(objects: readonly Manifest[]): LinkerdPolicy {
  const namespaceAnnotations = new Map(objects.filter((object) => object.kind === 'Namespace').map((object) => [object.metadata?.name ?? '', object.metadata?.annotations ?? {}]));
  const isLinkerd = (object: Manifest): boolean => object.apiVersion.startsWith('policy.linkerd.io/');
  const servers: LinkerdServer[] = objects.filter((object) => isLinkerd(object) && object.kind === 'Server').map((object) => {
    const spec = (object.spec ?? {}) as { podSelector?: LabelSelector; port?: number | string; accessPolicy?: string };
    return { object, id: objectId(object), name: object.metadata?.name ?? '', namespace: namespaceOf(object), podSelector: spec.podSelector, port: spec.port, accessPolicy: spec.accessPolicy ?? 'deny' };
  });
  const find = (kind: string, name: string, namespace: string): Manifest | undefined =>
    objects.find((object) => object.kind === kind && object.metadata?.name === name && namespaceOf(object) === namespace);
  const brokenReferences: BrokenReference[] = [];
  const authorizations = objects.filter((object) => isLinkerd(object) && object.kind === 'AuthorizationPolicy');
  for (const policy of authorizations) {
    const spec = (policy.spec ?? {}) as { targetRef?: Ref; requiredAuthenticationRefs?: Ref[] };
    const namespace = namespaceOf(policy);
    if (spec.targetRef && ['Server', 'HTTPRoute', 'GRPCRoute'].includes(spec.targetRef.kind) && !find(spec.targetRef.kind, spec.targetRef.name, namespace)) {
      brokenReferences.push({ object: objectId(policy), field: 'spec.targetRef', message: `targets ${spec.targetRef.kind} ${spec.targetRef.name}, which is not among the manifests` });
    }
    (spec.requiredAuthenticationRefs ?? []).forEach((ref, index) => {
      if (ref.kind === 'ServiceAccount' && (ref.namespace ?? namespace) !== namespace) return;
      if (!find(ref.kind, ref.name, ref.namespace ?? namespace)) {
        brokenReferences.push({ object: objectId(policy), field: `spec.requiredAuthenticationRefs[${index}]`, message: `requires ${ref.kind} ${ref.name}, which is not among the manifests` });
      }
    });
  }
  for (const authentication of objects.filter((object) => isLinkerd(object) && object.kind === 'MeshTLSAuthentication')) {
    const namespace = namespaceOf(authentication);
    ((authentication.spec as { identityRefs?: Ref[] } | undefined)?.identityRefs ?? []).forEach((ref, index) => {
      const refNamespace = ref.namespace ?? namespace;
      if (ref.kind === 'ServiceAccount' && namespaceAnnotations.has(refNamespace) && !find('ServiceAccount', ref.name, refNamespace)) {
        brokenReferences.push({ object: objectId(authentication), field: `spec.identityRefs[${index}]`, message: `names ServiceAccount ${refNamespace}/${ref.name}, which is not among the manifests` });
      }
    });
  }

  const annotationsOf = (template: PodTemplate): Readonly<Record<string, string>> => namespaceAnnotations.get(template.namespace) ?? {};
  const defaultPolicy = (template: PodTemplate): string =>
    template.annotations[DEFAULT_INBOUND_POLICY_ANNOTATION] ?? annotationsOf(template)[DEFAULT_INBOUND_POLICY_ANNOTATION] ?? CLUSTER_DEFAULT_POLICY;

  const admissionOf = (server: LinkerdServer): Admission => {
    const applying = authorizations.filter((policy) => {
      if (namespaceOf(policy) !== server.namespace) return false;
      const target = (policy.spec as { targetRef?: Ref } | undefined)?.targetRef;
      return target !== undefined && ((target.kind === 'Server' && target.name === server.name) || (target.kind === 'Namespace' && target.name === server.namespace));
    });
    const identities = new Set<string>();
    const networks: { cidr: string; except?: string[] }[] = [];
    for (const policy of applying) {
      const refs = (policy.spec as { requiredAuthenticationRefs?: Ref[] } | undefined)?.requiredAuthenticationRefs ?? [];
      // Every required authentication must hold; we model the common shapes: one identity list,
      // or one network list, or both (then a client needs both, which we record as identities).
      for (const ref of refs) {
        const namespace = ref.namespace ?? server.namespace;
        if (ref.kind === 'ServiceAccount') identities.add(`${namespace}/${ref.name}`);
        const target = find(ref.kind, ref.name, namespace);
        if (!target) continue;
        if (ref.kind === 'MeshTLSAuthentication') {
          const spec = (target.spec ?? {}) as { identityRefs?: Ref[]; identities?: string[] };
          for (const identity of spec.identityRefs ?? []) {
            if (identity.kind === 'ServiceAccount') identities.add(`${identity.namespace ?? namespace}/${identity.name}`);
            if (identity.kind === 'Namespace') identities.add(`${identity.name}/*`);
          }
          for (const identity of spec.identities ?? []) identities.add(identityFromName(identity));
        }
        if (ref.kind === 'NetworkAuthentication') networks.push(...(((target.spec ?? {}) as { networks?: { cidr: string; except?: string[] }[] }).networks ?? []));
      }
    }
    return { identities: [...identities].sort(), networks, policies: applying.map(objectId) };
  };

  const serversFor = (template: PodTemplate, port: IContainerPort): LinkerdServer[] =>
    servers.filter((server) => server.namespace === template.namespace && server.podSelector !== undefined && selectorMatches(server.podSelector, template.labels) &&
      (server.port === port.containerPort || (port.name !== undefined && server.port === port.name)));

  const admitsIdentity = (identities: readonly string[], peer: Peer): boolean => {
    if (!peer.identity) return false;
    if (peer.kind === 'workload' && !peer.meshed) return false;
    const [peerNamespace] = peer.identity.split('/');
    return identities.some((identity) => {
      if (identity === '*') return true;
      if (identity === peer.identity) return true;
      const [namespace, account] = identity.split('/');
      // A pod outside the manifests (`ns/*`) may run as the named account; a namespace ref admits all.
      return namespace === peerNamespace && (account === '*' || peer.identity!.endsWith('/*'));
    });
  };

  const byDefault = (policy: string, from: Peer): LinkerdVerdict => {
    if (policy === 'deny') return 'refused';
    if (policy.endsWith('-authenticated')) return from.meshed || (from.identity?.endsWith('/*') ?? false) ? 'identity' : 'refused';
    return 'default';
  };

  return {
    servers,
    brokenReferences,
    isMeshed: (template) => isInjected(template.annotations, annotationsOf(template)),
    serversFor,
    admission: admissionOf,
    defaultPolicy,
    authorize(from, to, port) {
      const template = to.template;
      if (!template || !to.meshed || port.port === undefined) return 'unmeshed';
      if (isPortSkipped(template.annotations, 'inbound', port.port)) return 'unmeshed';
      const containerPort = template.spec.containers.flatMap((container) => container.ports ?? []).find((candidate) => candidate.containerPort === port.port && (candidate.protocol ?? 'TCP') === port.protocol);
      const covering = containerPort ? serversFor(template, containerPort) : servers.filter((server) => server.namespace === template.namespace && server.port === port.port && server.podSelector !== undefined && selectorMatches(server.podSelector, template.labels));
      if (covering.length === 0) return byDefault(defaultPolicy(template), from);
      for (const server of covering) {
        const admission = admissionOf(server);
        if (admitsIdentity(admission.identities, from)) return 'identity';
        const ips = from.endpoints.flatMap((endpoint) => (endpoint.ip ? [endpoint.ip] : []));
        if (ips.some((ip) => admission.networks.some((network) => safeContains(network.cidr, ip) && !(network.except ?? []).some((except) => safeContains(except, ip))))) return 'network';
      }
      return byDefault(covering[0]!.accessPolicy, from);
    },
  };
}

/** A malformed CIDR matches nothing here; the schema check reports it on its own. */
function safeContains(cidr: string, ip: string): boolean {
  try {
    return cidrContains(cidr, ip);
  } catch {
    return false;
  }
}

/** `sa.ns.serviceaccount.identity.linkerd.cluster.local` → `ns/sa`; `*` and `*.ns…` patterns keep their meaning. */
function identityFromName(name: string): string {
  if (name === '*') return '*';
  const match = /^([^.]+)\.([^.]+)\.serviceaccount\./.exec(name);
  return match ? `${match[2]}/${match[1]}` : name;
}
