import { describe, expect, it } from 'vitest';
import { podTemplates, runChecks, targetVersion } from '@natter/kube-check';
import { parseProfile } from '../src/profiles.js';
import { ALL_VARIANTS, clusterModel, manifestsOf, OUTSIDERS, PROFILES, variantName } from './natter-cluster.js';

/** The first schema check compiles kubernetes-models' type declarations (seconds on a busy machine). */
const SCHEMA_TIMEOUT = 60_000;
const PSA_MODES = ['enforce', 'audit', 'warn'];

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('the profile\'s Kubernetes version and nodes (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const namespace = objects.find((object) => object.kind === 'Namespace')!;

  it('pins Pod Security Admission to kubernetesVersion, which is what npm run check targets', () => {
    for (const mode of PSA_MODES) expect(namespace.metadata?.labels?.[`pod-security.kubernetes.io/${mode}-version`], mode).toBe(`v${profile.kubernetesVersion}`);
    expect(targetVersion(objects).version).toBe(profile.kubernetesVersion);
  });

  it('uses nothing the target version would drop or refuse (native sidecar, appArmorProfile, hostUsers)', () => {
    const versionFindings = runChecks(objects).findings.filter((found) => /needs Kubernetes|served from Kubernetes|no longer served/.test(found.message));
    expect(versionFindings.map((found) => `${found.severity} ${found.object} ${found.field}: ${found.message}`)).toEqual([]);
  }, SCHEMA_TIMEOUT);

  it('sets appArmorProfile RuntimeDefault and hostUsers: false on every pod exactly as the profile says', () => {
    const templates = podTemplates(objects);
    expect(templates.length).toBe(4);
    for (const template of templates) {
      const spec = template.spec as { hostUsers?: boolean; securityContext?: { appArmorProfile?: { type: string } } };
      expect(spec.securityContext?.appArmorProfile, template.name).toEqual(profile.pods.appArmor ? { type: 'RuntimeDefault' } : undefined);
      // The CloudNativePG operator has no way to set hostUsers on the pods it makes (charts/README.md).
      expect(spec.hostUsers, template.name).toBe(profile.pods.userNamespaces && !template.createdByOperator ? false : undefined);
    }
  });

  it('lets every pod query NodeLocal DNSCache exactly when the profile says the cluster runs it', () => {
    const { evaluator, pods } = clusterModel(objects, profile);
    const cache = profile.dns.nodeLocalCache;
    const address = { kind: 'ip' as const, ip: cache?.address ?? OUTSIDERS.nodeLocalDns.ip };
    for (const pod of Object.values(pods)) {
      for (const protocol of ['UDP', 'TCP'] as const) {
        expect(evaluator.isAllowed(pod, address, { port: cache?.port ?? 53, protocol }), `${pod.name} ${protocol}`).toBe(cache !== undefined);
        expect(evaluator.isAllowed(pod, OUTSIDERS.kubeDns, { port: 53, protocol }), `${pod.name} kube-dns ${protocol}`).toBe(true);
      }
      expect(evaluator.isAllowed(pod, address, { port: 80 }), pod.name).toBe(false);
    }
  });
});

describe('kubernetesVersion and the node-dependent defaults', () => {
  const release = 'gitOps: {targetRevision: v1.0.0}\ndatabase: {cloudNativePg: {kubernetesApiServer: {cidrs: [192.0.2.10/32]}, backup: {destinationPath: s3://backups/p}}}\n';

  it('turns appArmor on from 1.30 and user namespaces on from 1.33 unless the profile says otherwise', () => {
    expect(parseProfile('p', `${release}kubernetesVersion: '1.33'`).pods).toEqual({ appArmor: true, userNamespaces: true });
    expect(parseProfile('p', `${release}kubernetesVersion: '1.30'`).pods).toEqual({ appArmor: true, userNamespaces: false });
    expect(parseProfile('p', `${release}kubernetesVersion: '1.29'`).pods).toEqual({ appArmor: false, userNamespaces: false });
    expect(parseProfile('p', `${release}pods: {userNamespaces: false}`).pods).toEqual({ appArmor: true, userNamespaces: false });
    expect(parseProfile('p', release).kubernetesVersion).toBe('1.33');
  });

  it('refuses a version without native sidecars, and a feature older than the version', () => {
    expect(() => parseProfile('p', `${release}kubernetesVersion: '1.28'`)).toThrow(/kubernetesVersion: must be 1\.29 or later: the migration Job's proxy runs as a native sidecar, got '1\.28'/);
    expect(() => parseProfile('p', `${release}kubernetesVersion: '1.32'\npods: {userNamespaces: true}`)).toThrow(/pods\.userNamespaces: needs kubernetesVersion 1\.33 or later \(it is 1\.32\)/);
    expect(() => parseProfile('p', `${release}kubernetesVersion: '1.29'\npods: {appArmor: true}`)).toThrow(/pods\.appArmor: needs kubernetesVersion 1\.30 or later/);
    expect(() => parseProfile('p', `${release}kubernetesVersion: 'v1.33'`)).toThrow(/kubernetesVersion: must be a Kubernetes minor version such as 1\.33/);
  });

  it('with NodeLocal DNSCache, every pod may query its address (UDP and TCP) besides kube-dns, and nothing else there', () => {
    const base = PROFILES[0]!;
    const profile = { ...base, dns: { nodeLocalCache: { address: '169.254.20.11', port: 53 } } };
    const { evaluator, pods } = clusterModel(manifestsOf(profile), profile);
    const cache = { kind: 'ip' as const, ip: '169.254.20.11' };
    for (const pod of Object.values(pods)) {
      for (const protocol of ['UDP', 'TCP'] as const) expect(evaluator.isAllowed(pod, cache, { port: 53, protocol }), `${pod.name} ${protocol}`).toBe(true);
      expect(evaluator.isAllowed(pod, cache, { port: 54 }), pod.name).toBe(false);
      expect(evaluator.isAllowed(pod, OUTSIDERS.nodeLocalDns, { port: 53, protocol: 'UDP' }), pod.name).toBe(false);
      expect(evaluator.isAllowed(pod, OUTSIDERS.metadata, { port: 53, protocol: 'UDP' }), pod.name).toBe(false);
    }
  });

  it('prod runs user namespaces and AppArmor (the review asked for both on Kubernetes >= 1.33)', () => {
    for (const profile of PROFILES.filter((candidate) => candidate.images.requireReleased)) {
      expect(Number(profile.kubernetesVersion.split('.')[1]), profile.name).toBeGreaterThanOrEqual(33);
      expect(profile.pods, profile.name).toEqual({ appArmor: true, userNamespaces: true });
    }
  });
});
