import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { describe, expect, it } from 'vitest';
import { restrictedPodSpec } from './fixtures.js';
import { checkPodSecurity, enforcedLevel } from '../src/pod-security.js';

function controlsFailed(mutate: (spec: IPodSpec) => void, level: 'baseline' | 'restricted' = 'restricted', annotations: Record<string, string> = {}): string[] {
  const spec = restrictedPodSpec();
  mutate(spec);
  return [...new Set(checkPodSecurity({ spec, annotations }, level).map((violation) => violation.control))];
}

const app = (spec: IPodSpec) => spec.containers[0]!;

describe('checkPodSecurity', () => {
  it('passes a pod that meets every restricted control', () => {
    expect(checkPodSecurity({ spec: restrictedPodSpec() }, 'restricted')).toEqual([]);
  });

  it('admits anything at privileged', () => {
    expect(checkPodSecurity({ spec: { containers: [{ name: 'x', securityContext: { privileged: true } }] } }, 'privileged')).toEqual([]);
  });

  it.each<[string, (spec: IPodSpec) => void, string]>([
    ['hostNetwork', (spec) => { spec.hostNetwork = true; }, 'Host Namespaces'],
    ['hostPID', (spec) => { spec.hostPID = true; }, 'Host Namespaces'],
    ['hostIPC', (spec) => { spec.hostIPC = true; }, 'Host Namespaces'],
    ['a privileged container', (spec) => { app(spec).securityContext!.privileged = true; }, 'Privileged Containers'],
    ['NET_ADMIN added', (spec) => { app(spec).securityContext!.capabilities!.add = ['NET_ADMIN']; }, 'Capabilities'],
    ['a hostPath volume', (spec) => { spec.volumes!.push({ name: 'h', hostPath: { path: '/' } }); }, 'HostPath Volumes'],
    ['a hostPort', (spec) => { app(spec).ports![0]!.hostPort = 80; }, 'Host Ports'],
    ['AppArmor unconfined', (spec) => { app(spec).securityContext!.appArmorProfile = { type: 'Unconfined' }; }, 'AppArmor'],
    ['an SELinux user', (spec) => { spec.securityContext!.seLinuxOptions = { user: 'root' }; }, 'SELinux'],
    ['an SELinux type spc_t', (spec) => { app(spec).securityContext!.seLinuxOptions = { type: 'spc_t' }; }, 'SELinux'],
    ['procMount Unmasked', (spec) => { app(spec).securityContext!.procMount = 'Unmasked'; }, '/proc Mount Type'],
    ['seccomp Unconfined', (spec) => { app(spec).securityContext!.seccompProfile = { type: 'Unconfined' }; }, 'Seccomp'],
    ['an unsafe sysctl', (spec) => { spec.securityContext!.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; }, 'Sysctls'],
    ['a windows hostProcess', (spec) => { spec.securityContext!.windowsOptions = { hostProcess: true }; }, 'HostProcess'],
  ])('fails baseline when the pod has %s', (_, mutate, control) => {
    expect(controlsFailed(mutate, 'baseline')).toContain(control);
    expect(controlsFailed(mutate, 'restricted')).toContain(control);
  });

  it('fails baseline on an unconfined AppArmor annotation', () => {
    expect(controlsFailed(() => {}, 'baseline', { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' })).toEqual(['AppArmor']);
  });

  it.each<[string, (spec: IPodSpec) => void, string]>([
    ['a nfs volume', (spec) => { spec.volumes!.push({ name: 'n', nfs: { server: 'x', path: '/' } }); }, 'Volume Types'],
    ['privilege escalation unset', (spec) => { delete app(spec).securityContext!.allowPrivilegeEscalation; }, 'Privilege Escalation'],
    ['runAsNonRoot missing everywhere', (spec) => { delete spec.securityContext!.runAsNonRoot; }, 'Running as Non-root'],
    ['a container with runAsNonRoot false', (spec) => { app(spec).securityContext!.runAsNonRoot = false; }, 'Running as Non-root'],
    ['runAsUser 0 on a container', (spec) => { app(spec).securityContext!.runAsUser = 0; }, 'Running as Non-root user'],
    ['runAsUser 0 on the pod', (spec) => { spec.securityContext!.runAsUser = 0; }, 'Running as Non-root user'],
    ['no seccomp profile anywhere', (spec) => { delete spec.securityContext!.seccompProfile; }, 'Seccomp'],
    ['capabilities drop lower-case all', (spec) => { app(spec).securityContext!.capabilities!.drop = ['all']; }, 'Capabilities'],
    ['CHOWN added (baseline allows it)', (spec) => { app(spec).securityContext!.capabilities!.add = ['CHOWN']; }, 'Capabilities'],
    ['an init container without hardening', (spec) => { spec.initContainers = [{ name: 'init', image: 'busybox' }]; }, 'Privilege Escalation'],
  ])('fails restricted (but not baseline) when the pod has %s', (_, mutate, control) => {
    expect(controlsFailed(mutate, 'restricted')).toContain(control);
    expect(controlsFailed(mutate, 'baseline')).toEqual([]);
  });

  it('accepts NET_BIND_SERVICE and Localhost seccomp under restricted', () => {
    expect(controlsFailed((spec) => {
      app(spec).securityContext!.capabilities!.add = ['NET_BIND_SERVICE'];
      spec.securityContext!.seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' };
    })).toEqual([]);
  });

  it('reads the enforce level from namespace labels, privileged when unlabelled', () => {
    expect(enforcedLevel({ 'pod-security.kubernetes.io/enforce': 'restricted' })).toBe('restricted');
    expect(enforcedLevel({})).toBe('privileged');
    expect(() => enforcedLevel({ 'pod-security.kubernetes.io/enforce': 'strict' })).toThrow(/not a Pod Security level/);
  });
});
