import { describe, expect, it } from 'vitest';
import type { Manifest } from '@natter/kube-check';
import { keepDataOnSync } from '../src/data-retention.js';
import { ALL_VARIANTS, manifestsOf, variantName } from './natter-cluster.js';

/**
 * Argo CD must never prune or delete what holds data. The kinds are listed here on their own (not
 * imported from the chart), so dropping one from the chart's list fails this test.
 */
const HOLDS_DATA = ['/Namespace', '/PersistentVolumeClaim', 'apps/StatefulSet', 'postgresql.cnpg.io/Cluster'];
const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

const groupKind = (object: { apiVersion: string; kind: string }) => `${object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''}/${object.kind}`;
const syncOptions = (metadata: Manifest['metadata']) => (metadata?.annotations?.[SYNC_OPTIONS] ?? '').split(',').map((option) => option.trim());
const keepsData = (metadata: Manifest['metadata']) => syncOptions(metadata).includes('Prune=false') && syncOptions(metadata).includes('Delete=false');
type ClaimTemplate = { metadata?: Manifest['metadata'] };
const claimTemplates = (object: Manifest) => ((object.spec as { volumeClaimTemplates?: ClaimTemplate[] } | undefined)?.volumeClaimTemplates ?? []);

/**
 * What an automated sync with `prune: true` deletes when the chart goes from `before` to `after`
 * (Argo CD's rule): every object no longer in git, unless it carries `Prune=false`.
 */
function pruned(before: readonly Manifest[], after: readonly Manifest[]): Manifest[] {
  const key = (object: Manifest) => `${groupKind(object)}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
  const kept = new Set(after.map(key));
  return before.filter((object) => !kept.has(key(object)) && !syncOptions(object.metadata).includes('Prune=false'));
}

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('data survives Argo CD (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const holders = objects.filter((object) => HOLDS_DATA.includes(groupKind(object)));

  it('marks every object of a data-holding kind Prune=false,Delete=false (the namespace and the database at least)', () => {
    expect(holders.map(groupKind)).toContain('/Namespace');
    expect(holders.some((object) => ['apps/StatefulSet', 'postgresql.cnpg.io/Cluster'].includes(groupKind(object)))).toBe(true);
    for (const object of holders) expect(keepsData(object.metadata), `${object.kind} ${object.metadata?.name}`).toBe(true);
  });

  it('marks every volume claim a StatefulSet creates (the controller copies the template\'s annotations onto the claim)', () => {
    const statefulSets = objects.filter((object) => groupKind(object) === 'apps/StatefulSet');
    for (const statefulSet of statefulSets) {
      for (const claim of claimTemplates(statefulSet)) expect(keepsData(claim.metadata), `${statefulSet.metadata?.name}/${claim.metadata?.name}`).toBe(true);
    }
  });

  it('leaves everything else prunable, so a renamed Deployment or policy does not linger', () => {
    for (const object of objects.filter((candidate) => !HOLDS_DATA.includes(groupKind(candidate)))) {
      expect(syncOptions(object.metadata), `${object.kind} ${object.metadata?.name}`).not.toContain('Prune=false');
    }
  });

  it('renaming the database or the namespace in code prunes nothing that holds data', () => {
    const renamed = objects.map((object): Manifest => (HOLDS_DATA.includes(groupKind(object)) ? { ...object, metadata: { ...object.metadata, name: `${object.metadata?.name}-renamed` } } : object));
    expect(pruned(objects, renamed).filter((object) => HOLDS_DATA.includes(groupKind(object)))).toEqual([]);
    // The check itself sees a prune: without the marks both would go.
    const unmarked = structuredClone(objects).map((object) => {
      delete object.metadata?.annotations?.[SYNC_OPTIONS];
      return object;
    });
    expect(pruned(unmarked, renamed).filter((object) => HOLDS_DATA.includes(groupKind(object))).length).toBe(holders.length);
  });
});

describe('keepDataOnSync', () => {
  it('covers every data-holding kind, a CloudNativePG Cluster and a bare claim included, and keeps other sync options', () => {
    const objects = keepDataOnSync([
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db', namespace: 'n', annotations: { [SYNC_OPTIONS]: 'ServerSideApply=true,Prune=true' } } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'n' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' } },
      { apiVersion: 'other.example/v1', kind: 'Cluster', metadata: { name: 'x', namespace: 'n' } },
    ]);
    expect(objects.map((object) => object['metadata'].annotations?.[SYNC_OPTIONS])).toEqual(['ServerSideApply=true,Prune=false,Delete=false', 'Prune=false,Delete=false', undefined, undefined]);
  });
});
