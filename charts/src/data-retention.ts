/**
 * Nothing that holds data is pruned or deleted by an Argo CD sync.
 *
 * Argo CD prunes an object that disappears from git (automated `prune: true`) and deletes every
 * object of an Application deleted with cascade. For the objects below that loses data: a
 * Namespace takes everything in it, a database StatefulSet or CloudNativePG Cluster its
 * volumes, a PersistentVolumeClaim its volume (with the usual reclaim policy `Delete`). The sync
 * options `Prune=false,Delete=false` make Argo CD leave them in place in both cases (it reports
 * them as needing a prune instead); removing one is a deliberate act by a person.
 */

export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
/** The sync options every data-holding object carries. */
export const KEEP_DATA_SYNC_OPTIONS = ['Prune=false', 'Delete=false'] as const;

/** `group/kind` (`''` for the core group) of every kind that holds data or contains what does. */
export const DATA_HOLDING_KINDS: ReadonlySet<string> = new Set([
  '/Namespace',
  '/PersistentVolumeClaim',
  'apps/StatefulSet',
  'postgresql.cnpg.io/Cluster',
]);

type RenderedObject = Record<string, any>;

export function groupKindOf(object: RenderedObject): string {
  const apiVersion = String(object['apiVersion']);
  return `${apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''}/${String(object['kind'])}`;
}

/**
 * Adds `Prune=false,Delete=false` (beside any sync options already set) to every data-holding
 * object among the rendered objects, and to the claim templates of every StatefulSet: the
 * StatefulSet controller copies a template's annotations onto each claim it creates, so the
 * claims carry them too. Runs on the rendered chart, so every such object is covered however it
 * was built.
 */
export function keepDataOnSync(objects: RenderedObject[]): RenderedObject[] {
  for (const object of objects) {
    if (!DATA_HOLDING_KINDS.has(groupKindOf(object))) continue;
    protect(object);
    if (groupKindOf(object) === 'apps/StatefulSet') {
      for (const claim of (object['spec']?.['volumeClaimTemplates'] ?? []) as RenderedObject[]) protect(claim);
    }
  }
  return objects;
}

function protect(object: RenderedObject): void {
  const metadata = (object['metadata'] ?? {}) as RenderedObject;
  const annotations = (metadata['annotations'] ?? {}) as Record<string, string>;
  const present = (annotations[SYNC_OPTIONS_ANNOTATION] ?? '').split(',').map((option) => option.trim()).filter((option) => option !== '');
  const kept = present.filter((option) => !KEEP_DATA_SYNC_OPTIONS.some((wanted) => option.split('=')[0] === wanted.split('=')[0]));
  // Sorted like the rest of cdk8s's output, so the YAML diff shows only the new line.
  object['metadata'] = sorted({ ...metadata, annotations: sorted({ ...annotations, [SYNC_OPTIONS_ANNOTATION]: [...kept, ...KEEP_DATA_SYNC_OPTIONS].join(',') }) });
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
