import { type LinkerdMode, injectLinkerd, isInjected } from '../linkerd.js';
import { type Manifest, type PodTemplate, objectId, podTemplates } from '../manifest.js';
import { type PodSecurityLevel, type PodSecurityViolation, checkPodSecurity, parseLevel } from '../pod-security.js';
import { type Finding, finding } from './finding.js';

/** Where the chart records the mesh mode it was synthesized for (read when `--linkerd-mode` is not given). */
export const MESH_MODE_ANNOTATION = 'natter.local/linkerd-mode';
const LEVEL_LABEL = 'pod-security.kubernetes.io/';
const ORDER: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

export interface PodSecurityOptions {
  /** How Linkerd injects meshed pods; default: the namespace's `natter.local/linkerd-mode`, else Linkerd's default install (linkerd-init). */
  readonly linkerdMode?: LinkerdMode;
}

/**
 * Each pod template as the cluster will admit it (after Linkerd's injector, when meshed) against its
 * namespace's Pod Security levels: a violation of `enforce` is a FAIL (the pods are rejected), of a
 * stricter `audit`/`warn` level a WARN. A namespace missing from the manifests is judged as
 * restricted, in warnings.
 */
export function podSecurityFindings(objects: readonly Manifest[], options: PodSecurityOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const namespaces = new Map(objects.filter((object) => object.kind === 'Namespace').map((object) => [object.metadata?.name ?? '', object]));
  const levels = new Map<string, { enforce: PodSecurityLevel; strictest: PodSecurityLevel } | undefined>();
  for (const [name, namespace] of namespaces) {
    const labels = namespace.metadata?.labels ?? {};
    try {
      const read = (mode: string): PodSecurityLevel => parseLevel(labels[`${LEVEL_LABEL}${mode}`] ?? 'privileged');
      const enforce = read('enforce');
      const strictest = [enforce, read('audit'), read('warn')].sort((a, b) => ORDER.indexOf(b) - ORDER.indexOf(a))[0]!;
      levels.set(name, { enforce, strictest });
    } catch (error) {
      findings.push(finding('FAIL', 'pod-security', { object: objectId(namespace), field: 'metadata.labels', message: (error as Error).message }));
      levels.set(name, undefined);
    }
  }
  const reportedMissing = new Set<string>();
  for (const template of podTemplates(objects)) {
    const namespace = namespaces.get(template.namespace);
    const pod = meshedPod(template, namespace, options);
    const level = namespace ? levels.get(template.namespace) : { enforce: 'privileged' as const, strictest: 'restricted' as const };
    if (!level) continue;
    if (!namespace && !reportedMissing.has(template.namespace)) {
      reportedMissing.add(template.namespace);
      findings.push(finding('WARN', 'pod-security', { object: `Namespace/${template.namespace}`, field: '-', message: 'not among the manifests: its Pod Security level is unknown, pods are checked against restricted as warnings' }));
    }
    const enforced = new Set(checkPodSecurity(pod.spec, level.enforce).map(key));
    for (const violation of checkPodSecurity(pod.spec, level.enforce)) {
      findings.push(finding('FAIL', 'pod-security', { object: template.owner, field: fieldOf(template, violation), message: `${describe(violation, pod.injected)} (namespace ${template.namespace} enforces ${level.enforce})` }));
    }
    for (const violation of checkPodSecurity(pod.spec, level.strictest).filter((candidate) => !enforced.has(key(candidate)))) {
      const why = namespace ? `namespace ${template.namespace} audits/warns at ${level.strictest}` : `namespace ${template.namespace} unknown`;
      findings.push(finding('WARN', 'pod-security', { object: template.owner, field: fieldOf(template, violation), message: `${describe(violation, pod.injected)} (${why})` }));
    }
  }
  return findings;
}

function key(violation: PodSecurityViolation): string {
  return `${violation.control}|${violation.path}|${violation.detail}`;
}

function meshedPod(template: PodTemplate, namespace: Manifest | undefined, options: PodSecurityOptions): { spec: ReturnType<typeof injectLinkerd>; injected: LinkerdMode | undefined } {
  const podLike = { annotations: template.annotations, spec: template.spec };
  const namespaceAnnotations = namespace?.metadata?.annotations ?? {};
  if (!isInjected(template.annotations, namespaceAnnotations)) return { spec: podLike, injected: undefined };
  const recorded = namespaceAnnotations[MESH_MODE_ANNOTATION];
  const mode: LinkerdMode = options.linkerdMode ?? (recorded === 'linkerd-cni' || recorded === 'linkerd-init' ? recorded : 'linkerd-init');
  return { spec: injectLinkerd(podLike, mode), injected: mode };
}

function describe(violation: PodSecurityViolation, injected: LinkerdMode | undefined): string {
  const byInjector = injected !== undefined && /\[(linkerd-[a-z-]+)\]/.test(violation.path);
  return `[${violation.level}] ${violation.control}: ${violation.detail}${byInjector ? ` (a container the Linkerd injector adds in ${injected} mode)` : ''}`;
}

/** The violation's pod-relative path, placed inside the owning object. */
function fieldOf(template: PodTemplate, violation: PodSecurityViolation): string {
  if (violation.path.startsWith('spec.')) return `${template.specPath}${violation.path.slice('spec'.length)}`;
  return template.templatePath === '' ? violation.path : `${template.templatePath}.${violation.path}`;
}
