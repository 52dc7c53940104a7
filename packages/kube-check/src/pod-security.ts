import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';

/**
 * The Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * every control of `baseline` and `restricted`, as Pod Security Admission evaluates them (latest
 * policy version). Stricter than PSA in one place only: Windows pods are not exempted from the
 * Linux-only controls — we ship none.
 */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

export interface PodSecurityViolation {
  readonly level: 'baseline' | 'restricted';
  readonly control: string;
  /** Where, e.g. `spec.containers[app].securityContext.privileged`. */
  readonly path: string;
  readonly detail: string;
}

export interface PodLike {
  readonly annotations?: Readonly<Record<string, string>>;
  readonly spec: IPodSpec;
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

interface NamedContainer {
  readonly path: string;
  readonly container: IContainer;
}

function allContainers(spec: IPodSpec): NamedContainer[] {
  const list = (field: 'containers' | 'initContainers' | 'ephemeralContainers'): NamedContainer[] =>
    ((spec[field] ?? []) as IContainer[]).map((container) => ({ path: `spec.${field}[${container.name}]`, container }));
  return [...list('initContainers'), ...list('containers'), ...list('ephemeralContainers')];
}

/** Every violation of `level` (restricted includes baseline); empty means admitted. */
export function checkPodSecurity(pod: PodLike, level: PodSecurityLevel): PodSecurityViolation[] {
  if (level === 'privileged') return [];
  const violations = baselineViolations(pod);
  if (level === 'restricted') violations.push(...restrictedViolations(pod));
  return violations;
}

export function formatViolations(violations: readonly PodSecurityViolation[]): string[] {
  return violations.map((violation) => `[${violation.level}] ${violation.control}: ${violation.path} ${violation.detail}`);
}

function baselineViolations(pod: PodLike): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const add = (control: string, path: string, detail: string): void => {
    out.push({ level: 'baseline', control, path, detail });
  };
  const { spec } = pod;
  const podContext = spec.securityContext ?? {};
  const containers = allContainers(spec);

  // HostProcess
  if (podContext.windowsOptions?.hostProcess === true) add('HostProcess', 'spec.securityContext.windowsOptions.hostProcess', 'must not be true');
  for (const { path, container } of containers) {
    if (container.securityContext?.windowsOptions?.hostProcess === true) add('HostProcess', `${path}.securityContext.windowsOptions.hostProcess`, 'must not be true');
  }
  // Host Namespaces
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true) add('Host Namespaces', `spec.${field}`, 'must not be true');
  }
  for (const { path, container } of containers) {
    const context: ISecurityContext = container.securityContext ?? {};
    // Privileged Containers
    if (context.privileged === true) add('Privileged Containers', `${path}.securityContext.privileged`, 'must not be true');
    // Capabilities
    for (const capability of context.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(capability)) add('Capabilities', `${path}.securityContext.capabilities.add`, `${capability} is not in the baseline set`);
    }
    // Host Ports
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort !== 0) add('Host Ports', `${path}.ports[${port.containerPort}].hostPort`, `must be unset or 0, got ${port.hostPort}`);
    }
    // AppArmor (field)
    const appArmor = context.appArmorProfile?.type;
    if (appArmor !== undefined && appArmor !== 'RuntimeDefault' && appArmor !== 'Localhost') add('AppArmor', `${path}.securityContext.appArmorProfile.type`, `must be RuntimeDefault or Localhost, got ${appArmor}`);
    // SELinux
    checkSeLinux(context.seLinuxOptions, `${path}.securityContext.seLinuxOptions`, add);
    // /proc Mount Type
    if (context.procMount !== undefined && context.procMount !== 'Default') add('/proc Mount Type', `${path}.securityContext.procMount`, `must be Default, got ${context.procMount}`);
    // Seccomp (baseline: anything but Unconfined)
    if (context.seccompProfile?.type === 'Unconfined') add('Seccomp', `${path}.securityContext.seccompProfile.type`, 'must not be Unconfined');
  }
  // HostPath Volumes
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath) add('HostPath Volumes', `spec.volumes[${volume.name}].hostPath`, 'must not be used');
  }
  // AppArmor (pod field and legacy annotations)
  const podAppArmor = podContext.appArmorProfile?.type;
  if (podAppArmor !== undefined && podAppArmor !== 'RuntimeDefault' && podAppArmor !== 'Localhost') add('AppArmor', 'spec.securityContext.appArmorProfile.type', `must be RuntimeDefault or Localhost, got ${podAppArmor}`);
  for (const [key, value] of Object.entries(pod.annotations ?? {})) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      add('AppArmor', `metadata.annotations[${key}]`, `must be runtime/default or localhost/*, got ${value}`);
    }
  }
  checkSeLinux(podContext.seLinuxOptions, 'spec.securityContext.seLinuxOptions', add);
  if (podContext.seccompProfile?.type === 'Unconfined') add('Seccomp', 'spec.securityContext.seccompProfile.type', 'must not be Unconfined');
  // Sysctls
  for (const sysctl of podContext.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(sysctl.name)) add('Sysctls', 'spec.securityContext.sysctls', `${sysctl.name} is not a safe sysctl`);
  }
  return out;
}

function checkSeLinux(
  options: { type?: string; user?: string; role?: string } | undefined,
  path: string,
  add: (control: string, path: string, detail: string) => void,
): void {
  if (!options) return;
  if (options.type !== undefined && !SELINUX_TYPES.has(options.type)) add('SELinux', `${path}.type`, `${options.type} is not an allowed type`);
  if (options.user !== undefined && options.user !== '') add('SELinux', `${path}.user`, 'must not be set');
  if (options.role !== undefined && options.role !== '') add('SELinux', `${path}.role`, 'must not be set');
}

function restrictedViolations(pod: PodLike): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const add = (control: string, path: string, detail: string): void => {
    out.push({ level: 'restricted', control, path, detail });
  };
  const { spec } = pod;
  const podContext = spec.securityContext ?? {};
  const containers = allContainers(spec);

  // Volume Types
  for (const volume of spec.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    for (const type of types) {
      if (!RESTRICTED_VOLUME_TYPES.has(type)) add('Volume Types', `spec.volumes[${volume.name}]`, `${type} is not an allowed volume type`);
    }
  }
  // Running as Non-root: the pod sets true, or every container does; nobody sets false.
  if (podContext.runAsNonRoot === false) add('Running as Non-root', 'spec.securityContext.runAsNonRoot', 'must not be false');
  // Running as Non-root user: no explicit 0.
  if (podContext.runAsUser === 0) add('Running as Non-root user', 'spec.securityContext.runAsUser', 'must not be 0');
  const podSeccomp = podContext.seccompProfile?.type;
  if (podSeccomp !== undefined && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost') {
    add('Seccomp', 'spec.securityContext.seccompProfile.type', `must be RuntimeDefault or Localhost, got ${podSeccomp}`);
  }
  for (const { path, container } of containers) {
    const context: ISecurityContext = container.securityContext ?? {};
    // Privilege Escalation
    if (context.allowPrivilegeEscalation !== false) add('Privilege Escalation', `${path}.securityContext.allowPrivilegeEscalation`, 'must be false');
    if (context.runAsNonRoot === false) add('Running as Non-root', `${path}.securityContext.runAsNonRoot`, 'must not be false');
    else if (context.runAsNonRoot !== true && podContext.runAsNonRoot !== true) {
      add('Running as Non-root', `${path}.securityContext.runAsNonRoot`, 'must be true (here or at pod level)');
    }
    if (context.runAsUser === 0) add('Running as Non-root user', `${path}.securityContext.runAsUser`, 'must not be 0');
    // Seccomp: RuntimeDefault or Localhost, explicitly, here or inherited from the pod.
    const seccomp = context.seccompProfile?.type;
    if (seccomp !== undefined) {
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') add('Seccomp', `${path}.securityContext.seccompProfile.type`, `must be RuntimeDefault or Localhost, got ${seccomp}`);
    } else if (podSeccomp === undefined) {
      add('Seccomp', `${path}.securityContext.seccompProfile`, 'must be set to RuntimeDefault or Localhost (here or at pod level)');
    }
    // Capabilities: drop ALL (exact spelling), add only NET_BIND_SERVICE.
    if (!(context.capabilities?.drop ?? []).includes('ALL')) add('Capabilities', `${path}.securityContext.capabilities.drop`, 'must include ALL');
    for (const capability of context.capabilities?.add ?? []) {
      if (capability !== 'NET_BIND_SERVICE') add('Capabilities', `${path}.securityContext.capabilities.add`, `${capability} may not be added (only NET_BIND_SERVICE)`);
    }
  }
  return out;
}

/** The enforce level Pod Security Admission applies to a namespace (unlabelled = privileged by default). */
export function enforcedLevel(namespaceLabels: Readonly<Record<string, string>>): PodSecurityLevel {
  return parseLevel(namespaceLabels['pod-security.kubernetes.io/enforce'] ?? 'privileged');
}

export function parseLevel(value: string): PodSecurityLevel {
  if (value === 'privileged' || value === 'baseline' || value === 'restricted') return value;
  throw new Error(`not a Pod Security level: ${JSON.stringify(value)}`);
}
