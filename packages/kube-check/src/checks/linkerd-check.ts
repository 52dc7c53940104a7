import { type Connectivity, LINKERD_INBOUND_PORT, type Peer, formatPorts } from '../connectivity.js';
import { LINKERD_ADMIN_PORT, LINKERD_ADMIN_PORT_NAME, LINKERD_PROXY_PORTS as PROXY_PORTS, isPortSkipped } from '../linkerd.js';
import { selectorMatches } from '../labels.js';
import type { LinkerdServer } from '../linkerd-policy.js';
import type { Manifest } from '../manifest.js';
import type { TargetVersion } from '../kube-version.js';
import { type Finding, finding } from './finding.js';

const NATIVE_SIDECAR_ANNOTATION = 'config.alpha.linkerd.io/proxy-enable-native-sidecar';
const NATIVE_SIDECAR_SINCE = 29;

/**
 * Linkerd, for every meshed workload: no application port bypasses the proxy (inbound, or outbound
 * on a port it connects to); every application port has a Server; every flow the NetworkPolicies
 * allow to a Server's port is authorized by mesh identity, and every identity a Server admits can
 * get through the NetworkPolicies (the two layers agree); meshed flows also open the proxy's
 * inbound port; policy references resolve.
 */
export function linkerdFindings(objects: readonly Manifest[], connectivity: Connectivity, target: TargetVersion): Finding[] {
  const findings: Finding[] = connectivity.linkerd.brokenReferences.map((problem) => finding('FAIL', 'linkerd', problem));
  const { linkerd } = connectivity;
  const namespaceAnnotations = new Map(objects.filter((object) => object.kind === 'Namespace').map((object) => [object.metadata?.name ?? '', object.metadata?.annotations ?? {}]));
  for (const peer of connectivity.peers) {
    const template = peer.template;
    if (!template || !peer.meshed) continue;
    const add = (severity: 'FAIL' | 'WARN', field: string, message: string): void => {
      findings.push(finding(severity, 'linkerd', { object: template.owner, field, message }));
    };
    const annotationsField = `${template.templatePath ? `${template.templatePath}.` : ''}metadata.annotations`;
    const nativeSidecar = template.annotations[NATIVE_SIDECAR_ANNOTATION] ?? namespaceAnnotations.get(template.namespace)?.[NATIVE_SIDECAR_ANNOTATION];
    if (nativeSidecar === 'true' && target.minor < NATIVE_SIDECAR_SINCE) {
      add('WARN', `${annotationsField}[${NATIVE_SIDECAR_ANNOTATION}]`, `asks for the proxy as a native sidecar, which needs Kubernetes 1.${NATIVE_SIDECAR_SINCE}; the target is ${target.version} (${target.source})`);
    }
    for (const container of template.spec.containers) {
      for (const port of container.ports ?? []) {
        if (PROXY_PORTS.has(port.containerPort) || (port.protocol ?? 'TCP') !== 'TCP') continue;
        const portField = `${template.specPath}.containers[${container.name}].ports[${port.name ?? port.containerPort}]`;
        if (isPortSkipped(template.annotations, 'inbound', port.containerPort)) {
          add('FAIL', `${annotationsField}[config.linkerd.io/skip-inbound-ports]`, `port ${port.containerPort} bypasses the proxy (skipped inbound): no mTLS, no authorization`);
          continue;
        }
        if (linkerd.serversFor(template, port).length === 0) {
          const policy = linkerd.defaultPolicy(template);
          add('FAIL', portField, `meshed port ${port.name ?? port.containerPort} has no Server (${policy === 'deny' ? 'the default policy deny closes it' : `the default policy ${policy} admits clients without authorization`})`);
        }
      }
    }
  }
  for (const flow of connectivity.flows) {
    const { from, to } = flow;
    if (from.template && from.meshed) {
      for (const port of flow.ports) {
        if (port.port !== undefined && port.protocol === 'TCP' && isPortSkipped(from.template.annotations, 'outbound', port.port)) {
          findings.push(finding('FAIL', 'linkerd', { object: from.template.owner, field: `${from.template.templatePath ? `${from.template.templatePath}.` : ''}metadata.annotations[config.linkerd.io/skip-outbound-ports]`, message: `its connections to ${to.label} on ${port.port}/TCP bypass the proxy (skipped outbound): no mTLS` }));
        }
      }
    }
    if (!to.template) continue;
    if (flow.refusedByLinkerd.length > 0) {
      findings.push(finding('FAIL', 'linkerd', { object: to.template.owner, field: '-', message: `the NetworkPolicies let ${from.label} in on ${formatPorts(flow.refusedByLinkerd)} but Linkerd authorizes no such client (the layers disagree)` }));
    }
    if (from.meshed && to.meshed && flow.ports.some((port) => port.port !== undefined && port.port !== LINKERD_INBOUND_PORT) &&
      !from.endpoints.some((source) => to.endpoints.some((destination) => connectivity.evaluator.isAllowed(source, destination, { port: LINKERD_INBOUND_PORT })))) {
      findings.push(finding('FAIL', 'linkerd', { object: to.template.owner, field: '-', message: `meshed traffic from ${from.label} arrives on the proxy's port ${LINKERD_INBOUND_PORT}, which the NetworkPolicies block` }));
    }
  }
  for (const server of linkerd.servers) {
    const selected = connectivity.peers.filter((peer) => peer.template && peer.template.namespace === server.namespace &&
      (selectsProxyAdmin(server, peer) || peer.template.spec.containers.flatMap((container) => container.ports ?? []).some((port) => linkerd.serversFor(peer.template!, port).includes(server))));
    if (selected.length === 0) {
      findings.push(finding('FAIL', 'linkerd', { object: server.id, field: 'spec', message: `selects no container port of a pod template (port ${String(server.port)})` }));
      continue;
    }
    const admission = linkerd.admission(server);
    for (const identity of admission.identities) {
      const reaches = connectivity.flows.some((flow) => selected.includes(flow.to) && matchesIdentity(flow.from, identity) && flow.ports.some((port) => serverPortMatches(flow.to, server.port, port.port)));
      if (!reaches) {
        findings.push(finding('FAIL', 'linkerd', { object: server.id, field: 'spec', message: `admits ${identity}, but the NetworkPolicies let no pod with that identity reach port ${String(server.port)} (the layers disagree)` }));
      }
    }
    for (const network of admission.networks) {
      const reaches = connectivity.flows.some((flow) => selected.includes(flow.to) && flow.from.kind === 'cidr' && flow.from.label === network.cidr);
      if (!reaches && network.cidr !== '0.0.0.0/0' && network.cidr !== '::/0') {
        findings.push(finding('FAIL', 'linkerd', { object: server.id, field: 'spec', message: `admits network ${network.cidr}, but no NetworkPolicy admits that range to port ${String(server.port)}` }));
      }
    }
  }
  return findings;
}

/** A Server on the proxy's admin port covers every meshed pod it selects: the injector adds that port to each. */
function selectsProxyAdmin(server: LinkerdServer, peer: Peer): boolean {
  return (server.port === LINKERD_ADMIN_PORT || server.port === LINKERD_ADMIN_PORT_NAME) && peer.meshed && server.podSelector !== undefined &&
    peer.template !== undefined && selectorMatches(server.podSelector, peer.template.labels);
}

function matchesIdentity(peer: Peer, identity: string): boolean {
  if (!peer.identity) return false;
  if (identity === '*') return peer.meshed;
  const [namespace, account] = identity.split('/');
  const [peerNamespace] = peer.identity.split('/');
  if (peer.kind === 'workload') return peer.meshed && (peer.identity === identity || (account === '*' && namespace === peerNamespace));
  return namespace === peerNamespace;
}

function serverPortMatches(peer: Peer, serverPort: number | string | undefined, port: number | undefined): boolean {
  if (port === undefined) return true;
  if (serverPort === port) return true;
  return (peer.template?.spec.containers ?? []).some((container) => (container.ports ?? []).some((candidate) => candidate.name === serverPort && candidate.containerPort === port));
}
