import type { Connectivity } from '../connectivity.js';
import { type LabelSelector, selectorMatches } from '../labels.js';
import { type Manifest, namespaceOf, objectId, podTemplates } from '../manifest.js';
import type { PodEndpoint } from '../network-policy.js';
import { type Finding, finding } from './finding.js';

/**
 * NetworkPolicy coverage: every workload isolated for ingress and egress (default-deny), every
 * policy selecting a pod, every same-namespace peer selector matching one; and what is left open to
 * any namespace or the internet.
 */
export function networkFindings(objects: readonly Manifest[], connectivity: Connectivity): Finding[] {
  const findings: Finding[] = [];
  const templates = podTemplates(objects);
  for (const peer of connectivity.peers) {
    if (peer.kind !== 'workload' || !peer.template) continue;
    const endpoint = peer.endpoints[0] as PodEndpoint;
    for (const direction of ['Ingress', 'Egress'] as const) {
      if (connectivity.evaluator.policiesSelecting(endpoint, direction).length === 0) {
        findings.push(finding('WARN', 'network', { object: peer.template.owner, field: `${peer.template.templatePath ? `${peer.template.templatePath}.` : ''}metadata.labels`, message: `no NetworkPolicy selects it for ${direction}: every ${direction === 'Ingress' ? 'source' : 'destination'} is allowed` }));
      }
    }
  }
  for (const flow of connectivity.flows) {
    if (flow.to.kind === 'workload' && (flow.from.id === 'peer:other-namespaces' || flow.from.id === 'peer:internet') && flow.ports.some((port) => port.port === undefined)) {
      findings.push(finding('WARN', 'network', { object: flow.to.template!.owner, field: '-', message: `${flow.from.label} may connect on every port` }));
    }
  }
  for (const policy of objects.filter((object) => object.kind === 'NetworkPolicy')) {
    const spec = (policy.spec ?? {}) as { podSelector?: LabelSelector; ingress?: { from?: PolicyPeer[] }[]; egress?: { to?: PolicyPeer[] }[] };
    const inNamespace = templates.filter((template) => template.namespace === namespaceOf(policy));
    if (!inNamespace.some((template) => selectorMatches(spec.podSelector ?? {}, template.labels))) {
      findings.push(finding('WARN', 'network', { object: objectId(policy), field: 'spec.podSelector', message: 'selects no pod template of the manifests' }));
    }
    for (const [direction, rules] of [['ingress', spec.ingress ?? []], ['egress', spec.egress ?? []]] as const) {
      rules.forEach((rule, ruleIndex) => {
        const peers = 'from' in rule ? rule.from : (rule as { to?: PolicyPeer[] }).to;
        (peers ?? []).forEach((peer, peerIndex) => {
          if (peer.podSelector && !peer.namespaceSelector && !peer.ipBlock && !inNamespace.some((template) => selectorMatches(peer.podSelector!, template.labels))) {
            findings.push(finding('WARN', 'network', { object: objectId(policy), field: `spec.${direction}[${ruleIndex}].${direction === 'ingress' ? 'from' : 'to'}[${peerIndex}].podSelector`, message: 'matches no pod template of the manifests' }));
          }
        });
      });
    }
  }
  return findings;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
