import { instance } from '@viz-js/viz';
import { type Connectivity, type Flow, type Peer, type PeerKind, formatPorts } from '../connectivity.js';

/**
 * The connectivity picture: Graphviz (through @viz-js/viz, its WebAssembly build) lays the graph out
 * and renders SVG. Workloads are boxes grouped by namespace, peers outside the manifests are ellipses;
 * an L7 flow (Linkerd authorizes the client's mesh identity) is a solid green line, an L4 flow
 * (NetworkPolicy only) a dashed blue one, a flow Linkerd refuses a dotted red one. Every node and edge
 * carries an id and classes (`workload`, `peer-<kind>`, `flow-l7`, …) so tests and styles can find it.
 */

const PEER_STYLE: Readonly<Record<PeerKind, { shape: string; fill: string }>> = {
  workload: { shape: 'box', fill: '#dbeafe' },
  internet: { shape: 'ellipse', fill: '#fee2e2' },
  dns: { shape: 'ellipse', fill: '#f1f5f9' },
  ingress: { shape: 'ellipse', fill: '#fef3c7' },
  linkerd: { shape: 'ellipse', fill: '#ede9fe' },
  'kubernetes-api': { shape: 'ellipse', fill: '#fce7f3' },
  namespace: { shape: 'ellipse', fill: '#f1f5f9' },
  cidr: { shape: 'ellipse', fill: '#ffedd5' },
};

export const FLOW_STYLE = {
  l7: { color: '#15803d', style: 'solid', penwidth: 2.2, legend: 'L7: NetworkPolicy + Linkerd mTLS identity' },
  l4: { color: '#1d4ed8', style: 'dashed', penwidth: 1.4, legend: 'L4: NetworkPolicy only' },
  refused: { color: '#b91c1c', style: 'dotted', penwidth: 1.8, legend: 'allowed by NetworkPolicy, refused by Linkerd' },
} as const;

export function flowClass(flow: Flow): keyof typeof FLOW_STYLE {
  if (flow.refusedByLinkerd.length > 0) return 'refused';
  return flow.layer === 'L7' ? 'l7' : 'l4';
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function nodeLine(peer: Peer, index: number): string {
  const style = PEER_STYLE[peer.kind];
  const label = peer.kind === 'workload' ? `${peer.label}\n${peer.template?.ownerKind ?? ''}${peer.meshed ? ' · meshed' : ''}` : peer.label;
  const classes = peer.kind === 'workload' ? 'workload' : `peer peer-${peer.kind}`;
  return `  n${index} [id=${quote(`node-${index}`)}, class=${quote(classes)}, label=${quote(label)}, tooltip=${quote(peer.id)}, shape=${style.shape}, fillcolor=${quote(style.fill)}];`;
}

export function connectivityDot(connectivity: Connectivity): string {
  const index = new Map(connectivity.peers.map((peer, position) => [peer, position]));
  const lines = [
    'digraph connectivity {',
    '  graph [rankdir=LR, bgcolor="white", nodesep=0.35, ranksep=1.2, fontname="DejaVu Sans", fontsize=11];',
    '  node [style="rounded,filled", color="#475569", fontname="DejaVu Sans", fontsize=11, margin="0.15,0.06"];',
    '  edge [fontname="DejaVu Sans", fontsize=9, arrowsize=0.7];',
  ];
  const namespaces = [...new Set(connectivity.peers.filter((peer) => peer.template).map((peer) => peer.template!.namespace))].sort();
  namespaces.forEach((namespace, clusterIndex) => {
    lines.push(`  subgraph cluster_${clusterIndex} {`, `    label=${quote(`namespace ${namespace}`)}; style="rounded,dashed"; color="#94a3b8";`);
    for (const peer of connectivity.peers.filter((candidate) => candidate.template?.namespace === namespace)) lines.push(`  ${nodeLine(peer, index.get(peer)!)}`);
    lines.push('  }');
  });
  for (const peer of connectivity.peers.filter((candidate) => !candidate.template)) lines.push(nodeLine(peer, index.get(peer)!));
  connectivity.flows.forEach((flow, flowIndex) => {
    const kind = flowClass(flow);
    const style = FLOW_STYLE[kind];
    const label = formatPorts(flow.ports);
    lines.push(`  n${index.get(flow.from)} -> n${index.get(flow.to)} [id=${quote(`flow-${flowIndex}`)}, class=${quote(`flow flow-${kind}`)}, label=${quote(label)}, tooltip=${quote(`${flow.from.label} → ${flow.to.label} ${label} (${flow.layer})`)}, color=${quote(style.color)}, fontcolor=${quote(style.color)}, style=${style.style}, penwidth=${style.penwidth}];`);
  });
  lines.push('}');
  return lines.join('\n');
}

let viz: Awaited<ReturnType<typeof instance>> | undefined;

/** The picture as an SVG element (no XML prologue, so it can sit inline in HTML). */
export async function connectivitySvg(connectivity: Connectivity): Promise<string> {
  viz ??= await instance();
  const svg = viz.renderString(connectivityDot(connectivity), { format: 'svg' });
  return svg.slice(svg.indexOf('<svg'));
}
