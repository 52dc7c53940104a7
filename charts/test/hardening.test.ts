import { jobBackoffSeconds, JobRestartPolicy } from '@natter/constructs';
import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, manifestsOf, variantName } from './natter-cluster.js';
import { findObject, type Manifest } from '@natter/kube-check';

// Loosely typed access to synthesized specs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Spec = Record<string, any>;
const specOf = (object: Manifest): Spec => object.spec as Spec;
const ofKind = (objects: readonly Manifest[], kind: string): Manifest[] => objects.filter((object) => object.kind === kind);

/** Deployments with two or more replicas get a PodDisruptionBudget and two spread constraints. */
const replicatedDeployments = (profile: (typeof ALL_VARIANTS)[number]): number => [profile.api.replicas, profile.linkPreview.replicas].filter((replicas) => replicas >= 2).length;

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('hardening the review asked for (%s)', (_, profile) => {
  const objects = manifestsOf(profile);

  it("declares the namespace's default ServiceAccount without a token, for pods that name none", () => {
    const account = objects.find((object) => object.kind === 'ServiceAccount' && object.metadata?.name === 'default');
    expect(account?.metadata?.namespace).toBe(findObject(objects, 'Namespace', 'natter-api').metadata?.name);
    expect(account?.automountServiceAccountToken).toBe(false);
  });

  it('lets node drains evict unready pods: every PodDisruptionBudget has unhealthyPodEvictionPolicy AlwaysAllow', () => {
    const budgets = ofKind(objects, 'PodDisruptionBudget');
    expect(budgets.length).toBe(replicatedDeployments(profile));
    for (const budget of budgets) {
      expect(specOf(budget).unhealthyPodEvictionPolicy, budget.metadata?.name).toBe('AlwaysAllow');
    }
  });

  it('spreads each Deployment revision on its own (matchLabelKeys: [pod-template-hash])', () => {
    const constraints = ofKind(objects, 'Deployment').flatMap((deployment) => specOf(deployment).template.spec.topologySpreadConstraints ?? []);
    expect(constraints.length).toBe(2 * replicatedDeployments(profile));
    for (const constraint of constraints) {
      expect(constraint.matchLabelKeys).toEqual(['pod-template-hash']);
    }
  });

  it('keeps the CloudNativePG Cluster through an Argo CD prune or a deleted Application (its volumes go with it)', () => {
    const clusters = ofKind(objects, 'Cluster');
    expect(clusters.length).toBe(profile.database.engine === 'cloudnative-pg' ? 1 : 0);
    for (const cluster of clusters) expect(cluster.metadata?.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
  });

  it("retains the database's volumes when its StatefulSet is deleted or scaled, and gives claim templates apiVersion and kind", () => {
    const sets = ofKind(objects, 'StatefulSet');
    expect(sets.length).toBe(profile.database.engine === 'statefulset' ? 1 : 0);
    for (const set of sets) {
      expect(specOf(set).persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      for (const template of specOf(set).volumeClaimTemplates) {
        expect(template).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
      }
    }
  });

  it('probes the StatefulSet database for readiness over TCP and for liveness on its socket, and gives it a bounded tmpfs /dev/shm', () => {
    for (const set of ofKind(objects, 'StatefulSet')) {
      const pod = specOf(set).template.spec;
      const container = pod.containers[0];
      const readiness: string[] = container.readinessProbe.exec.command;
      const liveness: string[] = container.livenessProbe.exec.command;
      // The image's temporary init server answers on the socket only: TCP readiness waits for the real one.
      expect(readiness).toEqual(expect.arrayContaining(['pg_isready', '--host=127.0.0.1']));
      expect(liveness.join(' ')).toContain('pg_isready --quiet --host=/var/run/postgresql');
      expect(liveness).not.toEqual(readiness);
      expect(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold).toBeGreaterThan(container.readinessProbe.periodSeconds * (container.readinessProbe.failureThreshold ?? 3));
      const shm = pod.volumes.find((volume: Spec) => volume.name === container.volumeMounts.find((mount: Spec) => mount.mountPath === '/dev/shm')?.name);
      expect(shm?.emptyDir).toEqual({ medium: 'Memory', sizeLimit: expect.stringMatching(/^\d+Mi$/) });
    }
  });

  it("gives every Job's retries time to run: its back-off fits inside activeDeadlineSeconds", () => {
    const jobs = ofKind(objects, 'Job');
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      const spec = specOf(job);
      const restartPolicy = spec.template.spec.restartPolicy === 'OnFailure' ? JobRestartPolicy.ON_FAILURE : JobRestartPolicy.NEVER;
      expect(jobBackoffSeconds(spec.backoffLimit, restartPolicy), job.metadata?.name).toBeLessThan(spec.activeDeadlineSeconds);
    }
  });
});
