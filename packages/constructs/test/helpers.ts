import { createRequire } from 'node:module';
import { Chart, Testing } from 'cdk8s';
import { expect } from 'vitest';

/** A synthesized Kubernetes object, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

/** A fresh chart in namespace `apps`, or in none when passed null. */
export function chartIn(namespace: string | null = 'apps'): Chart {
  return new Chart(Testing.app(), 'test', { namespace: namespace ?? undefined });
}

export function synth(chart: Chart): Manifest[] {
  return Testing.synth(chart) as Manifest[];
}

/** The only object of `kind` (and `name`, when given); fails the test otherwise. */
export function only(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as Manifest;
}

/** Volume types the "restricted" profile allows. */
const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/**
 * Asserts every Pod Security Standards "restricted" control (and our additions) on a pod spec:
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
export function expectRestrictedPod(spec: Manifest, uid = 10001, gid = 10001, appArmorProfile: Manifest | null = { type: 'RuntimeDefault' }): void {
  expect(spec.hostNetwork).toBe(false);
  expect(spec.hostPID).toBe(false);
  expect(spec.hostIPC).toBe(false);
  expect(spec.automountServiceAccountToken).toBe(false);
  expect(spec.enableServiceLinks).toBe(false);
  expect(spec.securityContext).toEqual({
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
    appArmorProfile: appArmorProfile ?? undefined,
  });
  for (const volume of spec.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    expect(types, `volume ${volume.name}`).toHaveLength(1);
    expect(RESTRICTED_VOLUME_TYPES, `volume ${volume.name}`).toContain(types[0]);
  }
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  for (const container of containers) {
    expect(container.securityContext, container.name).toEqual({
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: gid,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.ports?.some((p: Manifest) => p.hostPort !== undefined) ?? false).toBe(false);
    expect(container.securityContext.seLinuxOptions).toBeUndefined();
    expect(container.securityContext.procMount).toBeUndefined();
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.requests.memory).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
  }
}

/** The pod spec of a Deployment, StatefulSet or Job. */
export function podSpec(workload: Manifest): Manifest {
  return workload.spec.template.spec as Manifest;
}

interface Model {
  new (data: unknown): { validate(): void };
}

const requireModel = createRequire(import.meta.url);

/** Validates every object against the Kubernetes OpenAPI schema packaged by kubernetes-models. */
export function expectSchemaValid(manifests: Manifest[]): void {
  for (const manifest of manifests) {
    const [group, version] = String(manifest.apiVersion).includes('/')
      ? String(manifest.apiVersion).split('/')
      : [undefined, manifest.apiVersion];
    const path = ['kubernetes-models', group, version, manifest.kind].filter(Boolean).join('/');
    const ModelClass = (requireModel(path) as Record<string, Model>)[manifest.kind as string];
    expect(ModelClass, path).toBeDefined();
    expect(() => new (ModelClass as Model)(manifest).validate(), `${manifest.kind} ${manifest.metadata?.name}`).not.toThrow();
  }
}
