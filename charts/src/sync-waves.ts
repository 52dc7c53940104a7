import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

/**
 * Argo CD sync waves: the namespace lands first, then what must exist before any pod starts
 * (NetworkPolicies, ServiceAccounts), then the database, then the migration Job (a Sync hook, so
 * Argo waits for it to complete), then the apps. Lower waves must be healthy before the next.
 */
export enum SyncWave {
  NAMESPACE = -2,
  GUARDRAILS = -1,
  DATABASE = 0,
  MIGRATION = 1,
  APPS = 2,
}

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Annotates every API object under `scope` with the wave (idempotent; the last call wins). */
export function assignSyncWave(scope: IConstruct, wave: SyncWave): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) child.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
  }
}

/**
 * Makes a Job an Argo CD Sync hook that is deleted before it is re-created, so every sync runs the
 * migration once (a plain Job could not be updated: its pod template is immutable).
 */
export function markAsSyncHook(job: ApiObject): void {
  job.metadata.addAnnotation('argocd.argoproj.io/hook', 'Sync');
  job.metadata.addAnnotation('argocd.argoproj.io/hook-delete-policy', 'BeforeHookCreation');
}
