import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { cidrContains, parseAddress } from './cidr.js';
import type { LabelSelector, Labels } from './labels.js';
import { LINKERD_PROXY_PORTS } from './linkerd.js';
import { type LinkerdPolicy, linkerdPolicyOf } from './linkerd-policy.js';
import { type Manifest, type PodTemplate, namespaceOf, objectId, podTemplates } from './manifest.js';
import { type Endpoint, type NamespaceInfo, NetworkPolicyEvaluator, type PodEndpoint, type Protocol, namespacesOf } from './network-policy.js';

/**
 * Who may talk to whom, worked out from the manifests alone: every workload, plus the peers outside
 * the manifests that the NetworkPolicies name (internet, DNS, an ingress controller or gateway,
 * the Linkerd control plane, other namespaces, address ranges) and a few that reveal what is left
 * open (any other namespace, the internet, the Kubernetes API). Each allowed pair is one flow
 * with its ports; a flow is L7 when Linkerd also authorizes it by mesh identity.
 */

export type PeerKind = 'workload' | 'internet' | 'dns' | 'ingress' | 'linkerd' | 'kubernetes-api' | 'namespace' | 'cidr';

export interface Peer {
  /** Stable id: `Kind/ns/name` for workloads, `peer:<what>` for the others. */
  readonly id: string;
  /** Short human name (`natter-api`, `internet`, `DNS`). */
  readonly label: string;
  readonly kind: PeerKind;
  /** Probe addresses standing for the peer (several for the internet: IPv4 and IPv6). */
  readonly endpoints: readonly Endpoint[];
  /** The workload's pod template (workloads only). */
  readonly template?: PodTemplate;
  /** `namespace/serviceAccount` of a meshed workload; `namespace/*` for a pod outside the manifests. */
  readonly identity?: string;
  readonly meshed: boolean;
}

export interface FlowPort {
  /** undefined = every port of the protocol. */
  readonly port?: number;
  readonly protocol: Protocol;
}

export type FlowLayer = 'L4' | 'L7';

export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly ports: readonly FlowPort[];
  /** Every allowed port, the proxy's own included (a meshed client reaches any meshed port through 4143). */
  readonly allPorts: readonly FlowPort[];
  /** L7: Linkerd authorizes the client's mesh identity on every port; L4: NetworkPolicy (and IP) only. */
  readonly layer: FlowLayer;
  /** Ports the NetworkPolicies open but Linkerd refuses (the two layers disagree). */
  readonly refusedByLinkerd: readonly FlowPort[];
}

export interface Connectivity {
  readonly peers: readonly Peer[];
  readonly flows: readonly Flow[];
  readonly evaluator: NetworkPolicyEvaluator;
  readonly linkerd: LinkerdPolicy;
}

/** Linkerd's proxy ports: inbound (4143) and admin (4191). Meshed traffic arrives on 4143. */
export const LINKERD_INBOUND_PORT = 4143;
export const PROXY_PORTS = LINKERD_PROXY_PORTS;
/** A port nobody names: when it is allowed, every port is. */
const DECOY_PORT = 9;
/** kubeadm's default Service address of the API server; policies see the endpoint, so this is only a stand-in. */
const KUBERNETES_API_ADDRESS = '10.96.0.1';
const KUBERNETES_API_PORTS = [443, 6443];
const STANDING_PEERS = new Set(['peer:internet', 'peer:kubernetes-api', 'peer:other-namespaces']);
const PUBLIC_ADDRESSES = ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'];

export function formatPorts(ports: readonly FlowPort[]): string {
  return ports.map((port) => `${port.port ?? 'any'}/${port.protocol}`).join(', ');
}

export function workloadPeers(objects: readonly Manifest[], linkerd: LinkerdPolicy): Peer[] {
  return podTemplates(objects).map((template, index) => {
    const meshed = linkerd.isMeshed(template);
    return {
      id: template.owner,
      label: template.name,
      kind: 'workload',
      endpoints: [{
        kind: 'pod',
        name: template.name,
        namespace: template.namespace,
        labels: template.labels,
        ports: [...template.spec.containers, ...(template.spec.initContainers ?? [])].flatMap((container) => container.ports ?? []),
        ip: `10.244.${Math.floor(index / 250)}.${10 + (index % 250)}`,
      }],
      template,
      identity: `${template.namespace}/${template.spec.serviceAccountName ?? 'default'}`,
      meshed,
    };
  });
}

export function computeConnectivity(objects: readonly Manifest[]): Connectivity {
  const linkerd = linkerdPolicyOf(objects);
  const workloads = workloadPeers(objects, linkerd);
  const outside = outsidePeers(objects);
  const namespaces: NamespaceInfo[] = [...namespacesOf(objects)];
  for (const peer of outside) {
    for (const endpoint of peer.endpoints) {
      if (endpoint.kind === 'pod' && !namespaces.some((namespace) => namespace.name === endpoint.namespace)) {
        namespaces.push({ name: endpoint.namespace, labels: peer.namespaceLabels });
      }
    }
  }
  const evaluator = new NetworkPolicyEvaluator(objects, namespaces);
  const peers: Peer[] = [...workloads, ...outside.map(({ namespaceLabels: _labels, ...peer }) => peer)];
  const probes = probePorts(objects, workloads);
  const flows: Flow[] = [];
  for (const from of peers) {
    for (const to of peers) {
      if (from === to || (from.kind !== 'workload' && to.kind !== 'workload')) continue;
      const ports = allowedPorts(evaluator, from, to, probes);
      if (ports.length === 0) continue;
      const shown = to.meshed && ports.some((port) => port.port === undefined || !PROXY_PORTS.has(port.port))
        ? ports.filter((port) => port.port === undefined || !PROXY_PORTS.has(port.port))
        : ports;
      // The proxy's own ports carry meshed traffic to the application ports; Linkerd authorizes per application port.
      const verdicts = shown.filter((port) => port.port === undefined || !PROXY_PORTS.has(port.port)).map((port) => ({ port, verdict: linkerd.authorize(from, to, port) }));
      const refusedByLinkerd = verdicts.filter(({ verdict }) => verdict === 'refused').map(({ port }) => port);
      const layer: FlowLayer = verdicts.length > 0 && verdicts.every(({ verdict }) => verdict === 'identity') ? 'L7' : 'L4';
      flows.push({ from, to, ports: shown, allPorts: ports, layer, refusedByLinkerd });
    }
  }
  // Peers the policies name are shown when a flow reaches them; the standing ones (internet, the
  // Kubernetes API, other namespaces) always, so a closed door is visible too.
  const shown = peers.filter((peer) => peer.kind === 'workload' || STANDING_PEERS.has(peer.id) || flows.some((flow) => flow.from === peer || flow.to === peer));
  return { peers: shown, flows, evaluator, linkerd };
}

function allowedPorts(evaluator: NetworkPolicyEvaluator, from: Peer, to: Peer, probes: readonly FlowPort[]): FlowPort[] {
  const allowed = (traffic: { port: number; protocol: Protocol }): boolean =>
    from.endpoints.some((source) => to.endpoints.some((destination) => evaluator.isAllowed(source, destination, traffic)));
  const out: FlowPort[] = [];
  for (const protocol of ['TCP', 'UDP', 'SCTP'] as const) {
    if (allowed({ port: DECOY_PORT, protocol })) {
      out.push({ protocol });
      continue;
    }
    const candidates = to.kind === 'kubernetes-api' ? KUBERNETES_API_PORTS.map((port) => ({ port, protocol })) : probes.filter((probe) => probe.protocol === protocol);
    for (const probe of candidates) if (allowed({ port: probe.port!, protocol })) out.push(probe);
  }
  return out;
}

/** Every port a policy, a container or a Service names, plus the proxy's inbound port. */
function probePorts(objects: readonly Manifest[], workloads: readonly Peer[]): FlowPort[] {
  const seen = new Map<string, FlowPort>();
  const add = (port: unknown, protocol: unknown = 'TCP'): void => {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return;
    const normalized = (['TCP', 'UDP', 'SCTP'].includes(String(protocol)) ? protocol : 'TCP') as Protocol;
    seen.set(`${port}/${normalized}`, { port, protocol: normalized });
  };
  add(LINKERD_INBOUND_PORT);
  for (const peer of workloads) {
    for (const endpoint of peer.endpoints) if (endpoint.kind === 'pod') for (const port of endpoint.ports) add(port.containerPort, port.protocol);
  }
  for (const object of objects) {
    if (object.kind === 'NetworkPolicy') {
      const spec = (object.spec ?? {}) as { ingress?: { ports?: { port?: unknown; endPort?: number; protocol?: string }[] }[]; egress?: { ports?: { port?: unknown; endPort?: number; protocol?: string }[] }[] };
      for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
        for (const port of rule.ports ?? []) {
          add(port.port, port.protocol);
          if (typeof port.port === 'number' && typeof port.endPort === 'number') add(port.endPort, port.protocol);
        }
      }
    }
    if (object.kind === 'Service') {
      for (const port of ((object.spec ?? {}) as { ports?: { port?: unknown; protocol?: string }[] }).ports ?? []) add(port.port, port.protocol);
    }
  }
  return [...seen.values()].sort((a, b) => (a.port! - b.port!) || a.protocol.localeCompare(b.protocol));
}

// ---- peers outside the manifests --------------------------------------------------------------

interface OutsidePeer extends Peer {
  readonly namespaceLabels?: Labels;
}

/** Labels that satisfy a selector (matchLabels, plus the first value of `In` and a value for `Exists`). */
function labelsSatisfying(selector: LabelSelector | undefined): Record<string, string> {
  const labels: Record<string, string> = { ...selector?.matchLabels };
  for (const expression of selector?.matchExpressions ?? []) {
    if (expression.operator === 'In' && expression.values?.[0] !== undefined) labels[expression.key] = expression.values[0];
    if (expression.operator === 'Exists') labels[expression.key] = 'any';
  }
  return labels;
}

function classify(namespace: string, labels: Labels): { kind: PeerKind; label: string } {
  const values = Object.values(labels).join(' ');
  if (labels['k8s-app'] === 'kube-dns' || /\b(core-?dns|kube-dns)\b/.test(values)) return { kind: 'dns', label: 'DNS' };
  const component = labels['linkerd.io/control-plane-component'];
  if (component !== undefined || namespace === 'linkerd') return { kind: 'linkerd', label: `Linkerd ${component ?? 'control plane'}` };
  if (/ingress|gateway/.test(namespace) || /ingress|gateway|envoy/.test(values) || labels['gateway.networking.k8s.io/gateway-name'] !== undefined) {
    return { kind: 'ingress', label: `ingress/gateway (${namespace})` };
  }
  return { kind: 'namespace', label: `namespace ${namespace}${Object.keys(labels).length ? ` (${Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(',')})` : ''}` };
}

/** The first address in `cidr` that none of the `except` blocks contains. */
function representativeAddress(cidr: string, except: readonly string[]): string | undefined {
  const [base = '', prefixText = '0'] = cidr.split('/');
  const network = parseAddress(base);
  const bits = network.family === 4 ? 32 : 128;
  const size = 1n << BigInt(bits - Number(prefixText));
  const start = (network.value >> BigInt(bits - Number(prefixText))) << BigInt(bits - Number(prefixText));
  let candidate = start + (size > 2n ? 1n : 0n);
  for (let attempt = 0; attempt < 64 && candidate < start + size; attempt++) {
    const text = formatAddress(network.family, candidate);
    const blocking = except.find((block) => cidrContains(block, text));
    if (!blocking) return text;
    const [blockBase = '', blockPrefix = '0'] = blocking.split('/');
    const blockValue = parseAddress(blockBase).value;
    const shift = BigInt(bits - Number(blockPrefix));
    candidate = ((blockValue >> shift) + 1n) << shift;
  }
  return undefined;
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

function outsidePeers(objects: readonly Manifest[]): OutsidePeer[] {
  const peers = new Map<string, OutsidePeer>();
  const internet: Endpoint[] = [];
  for (const policy of objects.filter((object) => object.kind === 'NetworkPolicy')) {
    const policyNamespace = namespaceOf(policy);
    const spec = (policy.spec ?? {}) as { ingress?: { from?: INetworkPolicyPeer[] }[]; egress?: { to?: INetworkPolicyPeer[] }[] };
    const policyPeers = [...(spec.ingress ?? []).flatMap((rule) => rule.from ?? []), ...(spec.egress ?? []).flatMap((rule) => rule.to ?? [])];
    for (const peer of policyPeers) {
      if (peer.ipBlock) {
        const address = representativeAddress(peer.ipBlock.cidr, peer.ipBlock.except ?? []);
        if (address === undefined) continue;
        if (peer.ipBlock.cidr.endsWith('/0')) internet.push({ kind: 'ip', ip: address });
        else {
          const id = `peer:cidr:${peer.ipBlock.cidr}`;
          if (!peers.has(id)) peers.set(id, { id, label: peer.ipBlock.cidr, kind: 'cidr', endpoints: [{ kind: 'ip', ip: address }], meshed: false });
        }
        continue;
      }
      if (!peer.namespaceSelector) continue; // same-namespace pods are workloads of the manifests
      const namespaceLabels = labelsSatisfying(peer.namespaceSelector);
      const namespace = namespaceLabels['kubernetes.io/metadata.name'] ?? `namespace-${Object.values(namespaceLabels).join('-') || 'any'}`;
      if (namespace === policyNamespace && !peer.podSelector) continue;
      const labels = labelsSatisfying(peer.podSelector);
      const id = `peer:pod:${namespace}:${JSON.stringify(Object.entries(labels).sort())}`;
      if (peers.has(id) || objects.some((object) => object.kind === 'Namespace' && object.metadata?.name === namespace)) continue;
      const { kind, label } = classify(namespace, labels);
      const endpoint: PodEndpoint = { kind: 'pod', name: label, namespace, labels, ports: [], ip: `10.245.${peers.size}.10` };
      peers.set(id, { id, label, kind, endpoints: [endpoint], identity: `${namespace}/*`, meshed: false, namespaceLabels });
    }
  }
  for (const address of PUBLIC_ADDRESSES) if (!internet.some((endpoint) => endpoint.kind === 'ip' && parseAddress(endpoint.ip).family === parseAddress(address).family)) internet.push({ kind: 'ip', ip: address });
  return [
    ...[...peers.values()].sort((a, b) => a.label.localeCompare(b.label)),
    { id: 'peer:internet', label: 'internet', kind: 'internet', endpoints: internet, meshed: false },
    { id: 'peer:kubernetes-api', label: 'Kubernetes API', kind: 'kubernetes-api', endpoints: [{ kind: 'ip', ip: KUBERNETES_API_ADDRESS }], meshed: false },
    {
      id: 'peer:other-namespaces', label: 'other namespaces', kind: 'namespace', meshed: false, identity: 'other/*',
      endpoints: [{ kind: 'pod', name: 'any pod', namespace: 'other-namespace', labels: {}, ports: [], ip: '10.246.0.10' }],
    },
  ];
}

/** `Kind/ns/name` of the workloads whose pods a flow list mentions, for messages. */
export function describePeer(peer: Peer): string {
  return peer.template ? objectId(peer.template.source) : peer.label;
}
