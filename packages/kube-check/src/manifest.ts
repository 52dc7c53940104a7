import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { cloudNativePgInstanceTemplate, isCloudNativePgCluster } from './cloudnative-pg.js';

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
  /** Where the template sits in its owner (`spec.template`, `spec.jobTemplate.spec.template`; `''` for a Pod). */
  readonly templatePath: string;
  /** Where the pod spec sits in its owner, for field paths in messages (`spec.template.spec`). */
  readonly specPath: string;
  /** The owning object itself. */
  readonly source: Manifest;
  /**
   * The pods are made by an operator from a custom resource (a CloudNativePG Cluster), not from a
   * template in the manifests: the template is a model, and the operator creates the pods'
   * ServiceAccount and selects them itself.
   */
  readonly createdByOperator?: boolean;
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

const TEMPLATE_PATHS: Readonly<Record<string, string>> = {
  Pod: '',
  Deployment: 'spec.template',
  StatefulSet: 'spec.template',
  DaemonSet: 'spec.template',
  ReplicaSet: 'spec.template',
  ReplicationController: 'spec.template',
  Job: 'spec.template',
  CronJob: 'spec.jobTemplate.spec.template',
};

function templateOf(object: Manifest): { template: TemplateLike; path: string } | undefined {
  const path = TEMPLATE_PATHS[object.kind];
  if (path === undefined) return undefined;
  if (path === '') return { template: { metadata: object.metadata, spec: object.spec as IPodSpec }, path };
  let template: unknown = object;
  for (const key of path.split('.')) template = (template as Record<string, unknown> | undefined)?.[key];
  return template && typeof template === 'object' ? { template: template as TemplateLike, path } : undefined;
}

/**
 * Every pod template of every workload kind Kubernetes knows (Pod, Deployment, …, CronJob), and the
 * modeled instance pod of each CloudNativePG Cluster (cloudnative-pg.ts).
 */
export function podTemplates(objects: readonly Manifest[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const object of objects) {
    if (isCloudNativePgCluster(object)) {
      templates.push(cloudNativePgInstanceTemplate(object, objects, objectId(object), namespaceOf(object)));
      continue;
    }
    const found = templateOf(object);
    if (!found) continue;
    const { template, path } = found;
    templates.push({
      owner: objectId(object),
      ownerKind: object.kind,
      name: object.metadata?.name ?? '<unnamed>',
      namespace: namespaceOf(object),
      labels: template.metadata?.labels ?? {},
      annotations: template.metadata?.annotations ?? {},
      // Malformed input (no containers list) still yields a template the checkers can walk.
      spec: { ...template.spec, containers: template.spec?.containers ?? [] },
      templatePath: path,
      specPath: path === '' ? 'spec' : `${path}.spec`,
      source: object,
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
