import { type Endpoint, type IpEndpoint, type Manifest, namespacesOf, NetworkPolicyEvaluator, type PodEndpoint, podEndpoints, type PodTemplate, podTemplates } from '@natter/kube-check';
import { DEV, type MeshMode, type NatterProfile, PROD } from '../src/profiles.js';
import { synthesizeProfile } from '../src/synth.js';

/** Both profiles, plus each in the non-default mesh mode, for invariants that must hold everywhere. */
export const ALL_VARIANTS: readonly NatterProfile[] = [DEV, PROD, ...[DEV, PROD].map((profile) => ({ ...profile, meshMode: otherMode(profile.meshMode) }))];

function otherMode(mode: MeshMode): MeshMode {
  return mode === 'linkerd-cni' ? 'linkerd-init' : 'linkerd-cni';
}

export function variantName(profile: NatterProfile): string {
  return `${profile.name}/${profile.meshMode}`;
}

export function manifestsOf(profile: NatterProfile): Manifest[] {
  return synthesizeProfile(profile).objects as unknown as Manifest[];
}

export function templateNamed(objects: readonly Manifest[], name: string): PodTemplate {
  const template = podTemplates(objects).find((candidate) => candidate.name === name);
  if (!template) throw new Error(`no pod template ${name}`);
  return template;
}

export function env(template: PodTemplate, name: string): string | undefined {
  return template.spec.containers[0]?.env?.find((variable) => variable.name === name)?.value;
}

function pod(namespace: string, name: string, labels: Record<string, string>, ip: string, ports: PodEndpoint['ports'] = []): PodEndpoint {
  return { kind: 'pod', name, namespace, labels, ip, ports };
}

const ip = (address: string): IpEndpoint => ({ kind: 'ip', ip: address });

/** The rest of the cluster as the chart's policies see it (names/labels of real installs). */
export const OUTSIDERS = {
  ingressController: pod('ingress-nginx', 'ingress-nginx-controller', { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }, '10.244.1.10'),
  kubeDns: pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, '10.244.1.20', [
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
  ]),
  linkerdIdentity: pod('linkerd', 'linkerd-identity', { 'linkerd.io/control-plane-component': 'identity' }, '10.244.1.30'),
  linkerdDestination: pod('linkerd', 'linkerd-destination', { 'linkerd.io/control-plane-component': 'destination' }, '10.244.1.31'),
  /** A pod elsewhere that copies our labels: label look-alikes must not pass. */
  impostor: pod('other', 'impostor', { app: 'natter-api' }, '10.244.2.5'),
  /** A pod in the kube-system namespace that is not DNS. */
  kubeProxy: pod('kube-system', 'kube-proxy', { 'k8s-app': 'kube-proxy' }, '10.244.1.21'),
  publicV4: ip('93.184.216.34'),
  publicV6: ip('2606:2800:220:1:248:1893:25c8:1946'),
  privateA: ip('10.0.0.5'),
  privateC: ip('192.168.1.1'),
  metadata: ip('169.254.169.254'),
  cgnat: ip('100.64.0.1'),
  loopback: ip('127.0.0.1'),
  ula: ip('fd00::1'),
  ipv4Mapped: ip('::ffff:10.0.0.5'),
  nodePortClient: ip('192.168.49.1'),
} as const;

export interface ClusterModel {
  readonly evaluator: NetworkPolicyEvaluator;
  readonly pods: Readonly<Record<string, PodEndpoint>>;
  readonly everything: readonly Endpoint[];
}

export function clusterModel(objects: readonly Manifest[]): ClusterModel {
  const ours = podEndpoints(objects, (_, index) => `10.244.0.${10 + index}`);
  const namespaces = [...namespacesOf(objects), ...['ingress-nginx', 'kube-system', 'linkerd', 'other'].map((name) => ({ name }))];
  return {
    evaluator: new NetworkPolicyEvaluator(objects, namespaces),
    pods: Object.fromEntries(ours.map((endpoint) => [endpoint.name, endpoint])),
    everything: [...ours, ...Object.values(OUTSIDERS)],
  };
}

/** Ports worth probing: every port any party listens on or a policy mentions, plus decoys. */
export const PROBES = [
  { port: 22 },
  { port: 53, protocol: 'UDP' as const },
  { port: 53 },
  { port: 80 },
  { port: 443 },
  { port: 4143 },
  { port: 4191 },
  { port: 4567 },
  { port: 5432 },
  { port: 8080 },
  { port: 8086 },
  { port: 8090 },
  { port: 30567 },
];
