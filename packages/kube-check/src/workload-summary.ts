import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import { type LabelSelector, selectorMatches } from './labels.js';
import { type Manifest, type PodTemplate, namespaceOf, podTemplates } from './manifest.js';
import { type PodSecurityLevel, checkPodSecurity } from './pod-security.js';

/**
 * What a reviewer wants to know about each workload's privileges, in one flat record: the report's
 * table and the security diff both read it. Secret names and paths only — never values.
 */
export interface WorkloadSummary {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly namespace: string;
  readonly images: readonly { readonly container: string; readonly image: string; readonly pinned: boolean }[];
  /** `uid:gid`, with `root` spelled out when a container may run as UID 0. */
  readonly user: string;
  readonly runsAsRoot: boolean;
  /** Capabilities each container adds (`container: CAP`). */
  readonly addedCapabilities: readonly string[];
  /** Containers that do not drop ALL. */
  readonly keepsCapabilities: readonly string[];
  readonly privileged: readonly string[];
  readonly privilegeEscalation: readonly string[];
  readonly writableRoot: readonly string[];
  /** Host namespaces, hostPath volumes and host ports. */
  readonly hostAccess: readonly string[];
  readonly seccomp: string;
  readonly appArmor: string;
  /** `secret-name → container:/path` or `secret-name → container env VAR`. */
  readonly secrets: readonly string[];
  readonly serviceAccount: string;
  readonly tokenMounted: boolean;
  readonly resources: readonly string[];
  readonly probes: readonly string[];
  readonly replicas?: number;
  readonly disruptionBudget?: string;
  /** The strictest Pod Security level the pod template meets (before any mesh injection). */
  readonly podSecurity: PodSecurityLevel;
}

function containersOf(template: PodTemplate): IContainer[] {
  return [...(template.spec.initContainers ?? []), ...template.spec.containers];
}

export function summarizeWorkloads(objects: readonly Manifest[]): WorkloadSummary[] {
  const serviceAccounts = objects.filter((object) => object.kind === 'ServiceAccount');
  const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget');
  return podTemplates(objects).map((template) => summarize(template, serviceAccounts, budgets));
}

function summarize(template: PodTemplate, serviceAccounts: readonly Manifest[], budgets: readonly Manifest[]): WorkloadSummary {
  const pod: IPodSecurityContext = template.spec.securityContext ?? {};
  const containers = containersOf(template);
  const each = (predicate: (container: IContainer) => boolean): string[] => containers.filter(predicate).map((container) => container.name);
  const uidOf = (container: IContainer): number | undefined => container.securityContext?.runAsUser ?? pod.runAsUser;
  const nonRoot = (container: IContainer): boolean => (container.securityContext?.runAsNonRoot ?? pod.runAsNonRoot) === true || (uidOf(container) ?? 0) > 0;
  const uids = [...new Set(containers.map((container) => uidOf(container)).map((uid) => (uid === undefined ? 'image default' : String(uid))))];
  const gids = [...new Set(containers.map((container) => container.securityContext?.runAsGroup ?? pod.runAsGroup).map((gid) => (gid === undefined ? 'image default' : String(gid))))];
  const runsAsRoot = containers.some((container) => !nonRoot(container));
  const hostAccess = [
    ...(['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((field) => template.spec[field] === true),
    ...(template.spec.volumes ?? []).filter((volume) => volume.hostPath).map((volume) => `hostPath ${volume.hostPath!.path}`),
    ...containers.flatMap((container) => (container.ports ?? []).filter((port) => port.hostPort).map((port) => `hostPort ${port.hostPort}`)),
  ];
  const volumeSecrets = new Map<string, string[]>();
  for (const volume of template.spec.volumes ?? []) {
    const names = [
      ...(volume.secret?.secretName ? [volume.secret.secretName] : []),
      ...(volume.projected?.sources ?? []).flatMap((source) => (source.secret?.name ? [source.secret.name] : [])),
    ];
    if (names.length > 0) volumeSecrets.set(volume.name, names);
  }
  const secrets = containers.flatMap((container) => [
    ...(container.volumeMounts ?? []).flatMap((mount) => (volumeSecrets.get(mount.name) ?? []).map((secret) => `${secret} → ${container.name}:${mount.mountPath}`)),
    ...(container.env ?? []).flatMap((env) => (env.valueFrom?.secretKeyRef?.name ? [`${env.valueFrom.secretKeyRef.name} → ${container.name} env ${env.name}`] : [])),
    ...(container.envFrom ?? []).flatMap((source) => (source.secretRef?.name ? [`${source.secretRef.name} → ${container.name} env (all keys)`] : [])),
  ]);
  const accountName = template.spec.serviceAccountName ?? 'default';
  const account = serviceAccounts.find((candidate) => candidate.metadata?.name === accountName && namespaceOf(candidate) === template.namespace);
  const tokenMounted = (template.spec.automountServiceAccountToken ?? (account?.automountServiceAccountToken as boolean | undefined)) !== false;
  const seccomps = [...new Set(containers.map((container) => container.securityContext?.seccompProfile?.type ?? pod.seccompProfile?.type ?? 'unset'))];
  const appArmors = [...new Set(containers.map((container) =>
    container.securityContext?.appArmorProfile?.type ?? pod.appArmorProfile?.type ??
    template.annotations[`container.apparmor.security.beta.kubernetes.io/${container.name}`] ?? 'runtime default (unset)'))];
  const spec = (template.source.spec ?? {}) as { replicas?: number; parallelism?: number; instances?: number };
  // A CloudNativePG Cluster runs `instances` pods (its operator keeps their PodDisruptionBudgets itself).
  const declared = template.ownerKind === 'Cluster' ? spec.instances : spec.replicas;
  const replicas = template.ownerKind === 'Job' || template.ownerKind === 'CronJob' ? undefined : template.ownerKind === 'Pod' ? 1 : (declared ?? 1);
  const budget = budgets.find((candidate) => {
    const selector = ((candidate.spec ?? {}) as { selector?: LabelSelector }).selector;
    return namespaceOf(candidate) === template.namespace && selector !== undefined && selectorMatches(selector, template.labels);
  });
  const budgetSpec = (budget?.spec ?? {}) as { minAvailable?: number | string; maxUnavailable?: number | string };
  const podLike = { annotations: template.annotations, spec: template.spec };
  return {
    id: template.owner,
    name: template.name,
    kind: template.ownerKind,
    namespace: template.namespace,
    images: containers.map((container) => ({ container: container.name, image: container.image ?? '', pinned: /@sha256:[0-9a-f]{64}$/.test(container.image ?? '') })),
    user: `${uids.join('/')}:${gids.join('/')}${runsAsRoot ? ' (may run as root)' : ''}`,
    runsAsRoot,
    addedCapabilities: containers.flatMap((container) => (container.securityContext?.capabilities?.add ?? []).map((capability) => `${container.name}: ${capability}`)),
    keepsCapabilities: each((container) => !(container.securityContext?.capabilities?.drop ?? []).includes('ALL')),
    privileged: each((container) => container.securityContext?.privileged === true),
    privilegeEscalation: each((container) => container.securityContext?.allowPrivilegeEscalation !== false),
    writableRoot: each((container) => container.securityContext?.readOnlyRootFilesystem !== true),
    hostAccess,
    seccomp: seccomps.join(', '),
    appArmor: appArmors.join(', '),
    secrets,
    serviceAccount: accountName,
    tokenMounted,
    resources: template.spec.containers.map((container) => {
      const requests = container.resources?.requests ?? {};
      const limits = container.resources?.limits ?? {};
      const text = (values: Record<string, unknown>): string => Object.entries(values).map(([key, value]) => `${key} ${String(value)}`).join(', ') || 'none';
      return `${container.name}: requests ${text(requests)}; limits ${text(limits)}`;
    }),
    probes: template.spec.containers.flatMap((container) =>
      (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).filter((probe) => container[probe]).map((probe) => `${container.name}: ${probe.replace('Probe', '')}`)),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(budget ? { disruptionBudget: `${budget.metadata?.name} (${budgetSpec.minAvailable !== undefined ? `minAvailable ${budgetSpec.minAvailable}` : `maxUnavailable ${budgetSpec.maxUnavailable ?? '?'}`})` } : {}),
    podSecurity: checkPodSecurity(podLike, 'restricted').length === 0 ? 'restricted' : checkPodSecurity(podLike, 'baseline').length === 0 ? 'baseline' : 'privileged',
  };
}
