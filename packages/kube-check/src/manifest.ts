import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

/** meta/v1 ObjectMeta (reached through a kubernetes-models type; apimachinery is not a direct dependency). */
export type IObjectMeta = NonNullable<IConfigMap['metadata']>;

/** A synthesized Kubernetes object as plain data (from `Testing.synth()` or parsed YAML). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: IObjectMeta;
  readonly [field: string]: unknown;
}

/** A pod template found inside a workload, with where it came from. */
export interface PodTemplate {
  /** `Kind/namespace/name` of the owning object, for messages. */
  readonly owner: string;
  readonly ownerKind: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: IPodSpec;
}

/** The namespace an object lands in when it names none. */
export const DEFAULT_NAMESPACE = 'default';

export function objectId(object: Manifest): string {
  const namespace = object.metadata?.namespace;
  return `${object.kind}/${namespace ? `${namespace}/` : ''}${object.metadata?.name ?? '<unnamed>'}`;
}

export function namespaceOf(object: Manifest): string {
  return object.metadata?.namespace ?? DEFAULT_NAMESPACE;
}

interface TemplateLike {
  metadata?: IObjectMeta;
  spec?: IPodSpec;
}

function templateOf(object: Manifest): TemplateLike | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  switch (object.kind) {
    case 'Pod':
      return { metadata: object.metadata, spec: object.spec as IPodSpec };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return spec?.template as TemplateLike | undefined;
    case 'CronJob':
      return ((spec?.jobTemplate as { spec?: { template?: TemplateLike } } | undefined)?.spec?.template);
    default:
      return undefined;
  }
}

/** Every pod template of every workload kind Kubernetes knows (Pod, Deployment, …, CronJob). */
export function podTemplates(objects: readonly Manifest[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const object of objects) {
    const template = templateOf(object);
    if (!template) continue;
    templates.push({
      owner: objectId(object),
      ownerKind: object.kind,
      name: object.metadata?.name ?? '<unnamed>',
      namespace: namespaceOf(object),
      labels: template.metadata?.labels ?? {},
      annotations: template.metadata?.annotations ?? {},
      spec: template.spec ?? { containers: [] },
    });
  }
  return templates;
}

export function parseManifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0]?.message}`);
      return document.toJS() as Manifest | null;
    })
    .filter((object): object is Manifest => object !== null);
}

/** Reads every `*.yaml` file directly inside `directory` (not recursive, like `kubectl apply -f`). */
export function readManifestDirectory(directory: string): Manifest[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .sort()
    .flatMap((file) => parseManifests(readFileSync(join(directory, file), 'utf8')));
}

export function findObject(objects: readonly Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} among ${objects.map(objectId).join(', ')}`);
  return found;
}
