import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import { cidrContains } from './cidr.js';
import { type Labels, selectorMatches } from './labels.js';
import { type Manifest, namespaceOf, podTemplates } from './manifest.js';

/**
 * Evaluates NetworkPolicies with the semantics of the Kubernetes API (not of any one CNI):
 * - a pod is isolated for a direction only when some policy in its namespace selects it and lists
 *   that direction in `policyTypes` (defaulted: Ingress always, Egress when `egress` has rules);
 * - an isolated pod allows the union of the matching policies' rules;
 * - a connection between two pods needs the source's egress AND the destination's ingress;
 * - peers: podSelector / namespaceSelector (absent namespaceSelector = the policy's namespace),
 *   ipBlock with `except`; ports: protocol (default TCP), numbers, `endPort` ranges, and named
 *   ports resolved against the destination pod's container ports.
 * Pure evaluation: nothing here sends a packet.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ContainerPortInfo {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: string;
}

export interface PodEndpoint {
  readonly kind: 'pod';
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly ports: readonly ContainerPortInfo[];
  /** The pod's IP, so ipBlock peers can be judged against pods too (optional). */
  readonly ip?: string;
}

export interface IpEndpoint {
  readonly kind: 'ip';
  readonly ip: string;
}

export type Endpoint = PodEndpoint | IpEndpoint;

export interface NamespaceInfo {
  readonly name: string;
  readonly labels?: Labels;
}

export interface Traffic {
  readonly port: number;
  readonly protocol?: Protocol;
}

export interface DirectionVerdict {
  readonly allowed: boolean;
  /** False when no policy selects the pod for this direction (everything allowed). */
  readonly isolated: boolean;
  /** Names of the policies whose rules allow the connection. */
  readonly allowedBy: readonly string[];
}

export interface Verdict {
  readonly allowed: boolean;
  /** Undefined when the source is not a pod (no egress policy can apply). */
  readonly egress?: DirectionVerdict;
  /** Undefined when the destination is not a pod. */
  readonly ingress?: DirectionVerdict;
}

export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === 'pod' ? `${endpoint.namespace}/${endpoint.name}` : endpoint.ip;
}

type PolicyType = 'Ingress' | 'Egress';

interface Policy {
  readonly name: string;
  readonly namespace: string;
  readonly spec: NonNullable<INetworkPolicy['spec']>;
  readonly types: readonly PolicyType[];
}

function policyTypesOf(spec: NonNullable<INetworkPolicy['spec']>): PolicyType[] {
  if (spec.policyTypes && spec.policyTypes.length > 0) {
    for (const type of spec.policyTypes) {
      if (type !== 'Ingress' && type !== 'Egress') throw new Error(`unknown policyType ${type}`);
    }
    return spec.policyTypes as PolicyType[];
  }
  return (spec.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

export class NetworkPolicyEvaluator {
  private readonly policies: Policy[];
  private readonly namespaceLabels = new Map<string, Labels>();

  constructor(objects: readonly Manifest[], namespaces: readonly NamespaceInfo[] = []) {
    this.policies = objects
      .filter((object) => object.kind === 'NetworkPolicy')
      .map((object) => {
        const spec = (object as unknown as INetworkPolicy).spec ?? { podSelector: {} };
        return {
          name: `${namespaceOf(object)}/${object.metadata?.name ?? '<unnamed>'}`,
          namespace: namespaceOf(object),
          spec,
          types: policyTypesOf(spec),
        };
      });
    for (const namespace of namespaces) {
      // The API server sets this label on every namespace (immutable since 1.22).
      this.namespaceLabels.set(namespace.name, { ...namespace.labels, 'kubernetes.io/metadata.name': namespace.name });
    }
  }

  /** The policies that select `pod` for a direction (empty = not isolated in that direction). */
  policiesSelecting(pod: PodEndpoint, type: PolicyType): string[] {
    return this.selecting(pod, type).map((policy) => policy.name);
  }

  decide(from: Endpoint, to: Endpoint, traffic: Traffic): Verdict {
    const egress = from.kind === 'pod' ? this.direction(from, 'Egress', to, traffic) : undefined;
    const ingress = to.kind === 'pod' ? this.direction(to, 'Ingress', from, traffic) : undefined;
    return { allowed: (egress?.allowed ?? true) && (ingress?.allowed ?? true), egress, ingress };
  }

  isAllowed(from: Endpoint, to: Endpoint, traffic: Traffic): boolean {
    return this.decide(from, to, traffic).allowed;
  }

  private selecting(pod: PodEndpoint, type: PolicyType): Policy[] {
    return this.policies.filter(
      (policy) =>
        policy.namespace === pod.namespace &&
        policy.types.includes(type) &&
        selectorMatches(policy.spec.podSelector ?? {}, pod.labels),
    );
  }

  private direction(subject: PodEndpoint, type: PolicyType, peer: Endpoint, traffic: Traffic): DirectionVerdict {
    const selecting = this.selecting(subject, type);
    if (selecting.length === 0) return { allowed: true, isolated: false, allowedBy: [] };
    // The destination decides what a named port means, whichever side the policy is on.
    const destination = type === 'Egress' ? peer : subject;
    const allowedBy = selecting
      .filter((policy) => {
        const rules = type === 'Egress' ? (policy.spec.egress ?? []) : (policy.spec.ingress ?? []);
        return rules.some((rule) => {
          const peers = type === 'Egress' ? (rule as { to?: INetworkPolicyPeer[] }).to : (rule as { from?: INetworkPolicyPeer[] }).from;
          return this.peersMatch(peers, policy.namespace, peer) && portsMatch(rule.ports, destination, traffic);
        });
      })
      .map((policy) => policy.name);
    return { allowed: allowedBy.length > 0, isolated: true, allowedBy };
  }

  private peersMatch(peers: readonly INetworkPolicyPeer[] | undefined, policyNamespace: string, endpoint: Endpoint): boolean {
    if (!peers || peers.length === 0) return true;
    return peers.some((peer) => this.peerMatches(peer, policyNamespace, endpoint));
  }

  private peerMatches(peer: INetworkPolicyPeer, policyNamespace: string, endpoint: Endpoint): boolean {
    if (peer.ipBlock) {
      const ip = endpoint.ip;
      if (ip === undefined) return false;
      return cidrContains(peer.ipBlock.cidr, ip) && !(peer.ipBlock.except ?? []).some((except) => cidrContains(except, ip));
    }
    if (!peer.podSelector && !peer.namespaceSelector) {
      throw new Error('a NetworkPolicyPeer needs podSelector, namespaceSelector or ipBlock');
    }
    if (endpoint.kind !== 'pod') return false;
    const namespaceOk = peer.namespaceSelector
      ? selectorMatches(peer.namespaceSelector, this.labelsOfNamespace(endpoint.namespace))
      : endpoint.namespace === policyNamespace;
    const podOk = peer.podSelector ? selectorMatches(peer.podSelector, endpoint.labels) : true;
    return namespaceOk && podOk;
  }

  private labelsOfNamespace(name: string): Labels {
    return this.namespaceLabels.get(name) ?? { 'kubernetes.io/metadata.name': name };
  }
}

function portsMatch(ports: readonly INetworkPolicyPort[] | undefined, destination: Endpoint, traffic: Traffic): boolean {
  if (!ports || ports.length === 0) return true;
  const protocol = traffic.protocol ?? 'TCP';
  return ports.some((rulePort) => {
    if ((rulePort.protocol ?? 'TCP') !== protocol) return false;
    const port = rulePort.port;
    if (port === undefined) return true;
    if (typeof port === 'number') {
      const end = rulePort.endPort ?? port;
      return traffic.port >= port && traffic.port <= end;
    }
    if (/^\d+$/.test(port)) throw new Error(`NetworkPolicy port ${JSON.stringify(port)} is a numeric string; use a number`);
    if (destination.kind !== 'pod') return false;
    return destination.ports.some(
      (containerPort) =>
        containerPort.name === port &&
        containerPort.containerPort === traffic.port &&
        (containerPort.protocol ?? 'TCP') === protocol,
    );
  });
}

/** One pod endpoint per pod template in the manifests, with optional IPs assigned by the caller. */
export function podEndpoints(objects: readonly Manifest[], ipOf?: (name: string, index: number) => string): PodEndpoint[] {
  return podTemplates(objects).map((template, index) => ({
    kind: 'pod',
    name: template.name,
    namespace: template.namespace,
    labels: template.labels,
    ports: [...template.spec.containers, ...(template.spec.initContainers ?? [])].flatMap((container) => container.ports ?? []),
    ...(ipOf ? { ip: ipOf(template.name, index) } : {}),
  }));
}

export function namespacesOf(objects: readonly Manifest[]): NamespaceInfo[] {
  return objects
    .filter((object) => object.kind === 'Namespace')
    .map((object) => ({ name: object.metadata?.name ?? '', labels: object.metadata?.labels ?? {} }));
}

export interface ConnectivityRow {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly allowed: boolean;
}

/** Evaluates every (source, destination, traffic) triple; the table tests assert on. */
export function connectivityTable(
  evaluator: NetworkPolicyEvaluator,
  sources: readonly Endpoint[],
  destinations: readonly Endpoint[],
  traffic: readonly Traffic[],
): ConnectivityRow[] {
  const rows: ConnectivityRow[] = [];
  for (const from of sources) {
    for (const to of destinations) {
      if (from === to) continue;
      for (const probe of traffic) {
        rows.push({
          from: describeEndpoint(from),
          to: describeEndpoint(to),
          port: probe.port,
          protocol: probe.protocol ?? 'TCP',
          allowed: evaluator.isAllowed(from, to, probe),
        });
      }
    }
  }
  return rows;
}

/** Only the allowed rows, as `from -> to:port/proto` lines (readable in snapshots and failures). */
export function formatAllowed(rows: readonly ConnectivityRow[]): string[] {
  return rows.filter((row) => row.allowed).map((row) => `${row.from} -> ${row.to}:${row.port}/${row.protocol}`);
}
