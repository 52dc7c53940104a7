import { type Endpoint, findObject, type IpEndpoint, isInjected, type Manifest, namespacesOf, NetworkPolicyEvaluator, type PodEndpoint, podEndpoints, type PodTemplate, podTemplates } from '@natter/kube-check';
import { fileURLToPath } from 'node:url';
import { loadProfiles, type MeshMode, type NatterProfile } from '../src/profiles.js';
import { envoyProxyServiceAccount } from '../src/envoy-gateway.js';
import { synthesizeProfile } from '../src/synth.js';

/** The repository root, where `npm run synth` reads the natter.<profile>.yaml files. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Where the invariant tests read the profiles from: the repository's own, unless
 * NATTER_TEST_PROFILE_DIRECTORY points elsewhere (extra-profile.test.ts runs the invariants over a
 * copy with one more profile, to prove no test hard-codes the profile list).
 */
export const PROFILE_DIRECTORY = process.env['NATTER_TEST_PROFILE_DIRECTORY'] ?? REPOSITORY_ROOT;

/** Every profile that exists, in name order. */
export const PROFILES: readonly NatterProfile[] = loadProfiles(PROFILE_DIRECTORY);

/** Every profile, plus each in the other mesh mode, for invariants that must hold everywhere. */
export const ALL_VARIANTS: readonly NatterProfile[] = [...PROFILES, ...PROFILES.map((profile) => ({ ...profile, meshMode: otherMode(profile.meshMode) }))];

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

/** Whether Linkerd injects the template's pods (the namespace asks for it; a pod may opt out). */
export function isMeshed(objects: readonly Manifest[], template: PodTemplate): boolean {
  return isInjected(template.annotations, findObject(objects, 'Namespace', template.namespace).metadata?.annotations ?? {});
}

export function env(template: PodTemplate, name: string): string | undefined {
  return template.spec.containers[0]?.env?.find((variable) => variable.name === name)?.value;
}

function pod(namespace: string, name: string, labels: Record<string, string>, ip: string, ports: PodEndpoint['ports'] = []): PodEndpoint {
  return { kind: 'pod', name, namespace, labels, ip, ports };
}

const ip = (address: string): IpEndpoint => ({ kind: 'ip', ip: address });

/** The edge's proxy pod as the real install labels it, with the ServiceAccount it runs as. */
export interface EdgePod extends PodEndpoint {
  readonly serviceAccount: string;
}

/**
 * The edge's proxy pod as the real install creates it: the ingress-nginx controller as the profile
 * describes it, or Envoy Gateway's proxy for the chart's Gateway (labels as Envoy Gateway v1.9 sets
 * them, written out here rather than taken from the chart), or the custom data plane the profile names.
 */
export function edgePodOf(profile: NatterProfile): EdgePod {
  const address = '10.244.1.10';
  if (profile.edge.kind === 'ingress-nginx') {
    const controller = profile.edge.ingressNginx;
    return { ...pod(controller.controllerNamespace, 'ingress-controller', { ...controller.controllerPodLabels }, address), serviceAccount: controller.controllerServiceAccount };
  }
  const gatewayApi = profile.edge.gatewayApi;
  if (gatewayApi.implementation === 'custom') {
    const dataPlane = gatewayApi.dataPlane!;
    return { ...pod(dataPlane.namespace, 'gateway-proxy', { ...dataPlane.podLabels }, address), serviceAccount: dataPlane.serviceAccount };
  }
  const labels = {
    'app.kubernetes.io/name': 'envoy',
    'app.kubernetes.io/component': 'proxy',
    'app.kubernetes.io/managed-by': 'envoy-gateway',
    'gateway.envoyproxy.io/owning-gateway-name': 'natter-api-gateway',
    'gateway.envoyproxy.io/owning-gateway-namespace': 'natter-api',
  };
  return { ...pod(gatewayApi.envoyGateway.namespace, 'envoy-gateway-proxy', labels, address), serviceAccount: envoyProxyServiceAccount({ namespace: 'natter-api', name: 'natter-api-gateway' }) };
}

/** Envoy Gateway's proxy for some other Gateway: same namespace and app labels, another owner. */
export function otherGatewayProxyOf(profile: NatterProfile): PodEndpoint {
  const labels = {
    'app.kubernetes.io/name': 'envoy',
    'app.kubernetes.io/component': 'proxy',
    'app.kubernetes.io/managed-by': 'envoy-gateway',
    'gateway.envoyproxy.io/owning-gateway-name': 'natter-api-gateway',
    'gateway.envoyproxy.io/owning-gateway-namespace': 'tenant-b',
  };
  return pod(profile.edge.gatewayApi.envoyGateway.namespace, 'other-gateway-proxy', labels, '10.244.1.11');
}

/** The CloudNativePG operator pod as the profile describes it (undefined without CloudNativePG). */
export function cloudNativePgOperatorOf(profile: NatterProfile): PodEndpoint | undefined {
  const operator = profile.database.cloudNativePg?.operator;
  return operator === undefined ? undefined : pod(operator.namespace, 'cloudnative-pg', { ...operator.podLabels }, '10.244.1.40');
}

/** An address of the Kubernetes API server as the profile describes it (undefined without CloudNativePG). */
export function kubernetesApiServerOf(profile: NatterProfile): IpEndpoint | undefined {
  const cidr = profile.database.cloudNativePg?.kubernetesApiServer.cidrs[0];
  return cidr === undefined ? undefined : ip(firstHostIn(cidr));
}

/** An address of the object store when the profile names its ranges (undefined otherwise: then any public address). */
export function objectStoreOf(profile: NatterProfile): IpEndpoint | undefined {
  const cidr = profile.database.cloudNativePg?.backup.endpointCidrs?.[0];
  return cidr === undefined ? undefined : ip(firstHostIn(cidr));
}

/** A client address inside the profile's first node-port client range (undefined without a node port). */
export function nodePortClientOf(profile: NatterProfile): IpEndpoint | undefined {
  const cidr = profile.api.nodePort?.clientCidrs[0];
  return cidr === undefined ? undefined : ip(firstHostIn(cidr));
}

function firstHostIn(cidr: string): string {
  const [address = '', prefix = ''] = cidr.split('/');
  if (prefix === '32' || prefix === '128') return address;
  if (address.includes(':')) return address.endsWith('::') ? `${address}1` : address;
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The rest of the cluster as the chart's policies see it (names/labels of real installs). */
export const OUTSIDERS = {
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
  /** NodeLocal DNSCache's default link-local address: reachable only when the profile says the cluster runs it. */
  nodeLocalDns: ip('169.254.20.10'),
  cgnat: ip('100.64.0.1'),
  loopback: ip('127.0.0.1'),
  ula: ip('fd00::1'),
  ipv4Mapped: ip('::ffff:10.0.0.5'),
} as const;

export interface ClusterModel {
  readonly evaluator: NetworkPolicyEvaluator;
  readonly pods: Readonly<Record<string, PodEndpoint>>;
  readonly everything: readonly Endpoint[];
}

/** The profile's pods plus the outsiders (its edge, another gateway's proxy and the node-port client among them). */
export function clusterModel(objects: readonly Manifest[], profile: NatterProfile): ClusterModel {
  const ours = podEndpoints(objects, (_, index) => `10.244.0.${10 + index}`);
  const edge = edgePodOf(profile);
  const otherGateway = otherGatewayProxyOf(profile);
  const nodePortClient = nodePortClientOf(profile);
  const cache = profile.dns.nodeLocalCache;
  const nodeLocalDns = cache === undefined || cache.address === OUTSIDERS.nodeLocalDns.ip ? [] : [ip(cache.address)];
  const operator = cloudNativePgOperatorOf(profile);
  const apiServer = kubernetesApiServerOf(profile);
  const namespaces = [...namespacesOf(objects), ...[...new Set([edge.namespace, otherGateway.namespace, 'kube-system', 'linkerd', 'other', ...(operator ? [operator.namespace] : [])])].map((name) => ({ name }))];
  return {
    evaluator: new NetworkPolicyEvaluator(objects, namespaces),
    pods: Object.fromEntries(ours.map((endpoint) => [endpoint.name, endpoint])),
    everything: [...ours, edge, otherGateway, ...[nodePortClient, operator, apiServer, objectStoreOf(profile)].filter((endpoint) => endpoint !== undefined), ...nodeLocalDns, ...Object.values(OUTSIDERS)],
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
  { port: 6443 },
  { port: 8000 },
  { port: 9000 },
  { port: 8080 },
  { port: 8086 },
  { port: 8090 },
  { port: 30567 },
];
