import { type Connectivity, computeConnectivity } from '../connectivity.js';
import { type CrdCatalog, addCrds, customResourceProblems, emptyCrdCatalog } from '../crd-schema.js';
import { type TargetVersion, SCHEMA_KUBERNETES_VERSION, targetVersion, versionProblems } from '../kube-version.js';
import type { LinkerdMode } from '../linkerd.js';
import { type Manifest, objectId, podTemplates } from '../manifest.js';
import { schemaProblems } from '../schema.js';
import { secretMaterialProblems } from '../secrets.js';
import { summarizeWorkloads } from '../workload-summary.js';
import { type Finding, finding, sortFindings } from './finding.js';
import { linkerdFindings } from './linkerd-check.js';
import { networkFindings } from './network-check.js';
import { podSecurityFindings } from './pod-security-check.js';
import { gatewayApiFindings } from './gateway-api-check.js';
import { wiringFindings } from './wiring-check.js';

export interface CheckOptions {
  /** CRDs to validate custom resources against (CRDs among the objects are added). */
  readonly crds?: CrdCatalog;
  /** Overrides the target Kubernetes version (`1.30`). */
  readonly kubeVersion?: string;
  readonly linkerdMode?: LinkerdMode;
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  readonly target: TargetVersion;
  readonly connectivity: Connectivity;
}

/** Every check over one set of objects (what one `kubectl apply -f <dir>` would apply). */
export function runChecks(objects: readonly Manifest[], options: CheckOptions = {}): CheckResult {
  const target = targetVersion(objects, options.kubeVersion);
  const crds = copyCatalog(options.crds);
  addCrds(crds, objects);
  const findings: Finding[] = [];

  const schema = schemaProblems(objects);
  findings.push(...schema.problems.map((problem) => finding('FAIL', 'schema', problem)));
  const custom = objects.filter((object) => schema.unknownKinds.includes(`${object.apiVersion} ${object.kind}`));
  const customReport = customResourceProblems(custom, crds.schemas);
  findings.push(...customReport.problems.map((problem) => finding('FAIL', 'custom-resource', problem)));
  for (const object of custom) {
    const key = `${object.apiVersion}|${object.kind}`;
    if (customReport.unknownKinds.includes(`${object.apiVersion} ${object.kind}`)) {
      findings.push(finding('FAIL', 'custom-resource', { object: objectId(object), field: 'apiVersion', message: `no schema for ${object.apiVersion} ${object.kind}: not a Kubernetes ${SCHEMA_KUBERNETES_VERSION} kind and no CRD (vendor it under charts/crds/ or pass --crds)` }));
    } else if (crds.deprecated.has(key)) {
      findings.push(finding('WARN', 'custom-resource', { object: objectId(object), field: 'apiVersion', message: crds.deprecated.get(key)! }));
    }
  }
  const versions = versionProblems(objects, target);
  findings.push(...versions.removed.map((problem) => finding('FAIL', 'kubernetes-version', problem)), ...versions.newer.map((problem) => finding('WARN', 'kubernetes-version', problem)));

  findings.push(...podSecurityFindings(objects, options.linkerdMode ? { linkerdMode: options.linkerdMode } : {}));
  findings.push(...wiringFindings(objects));
  findings.push(...gatewayApiFindings(objects));
  const connectivity = computeConnectivity(objects);
  findings.push(...networkFindings(objects, connectivity));
  findings.push(...linkerdFindings(objects, connectivity, target));
  findings.push(...secretMaterialProblems(objects).map((problem) => finding('FAIL', 'secrets', problem)));
  findings.push(...workloadFindings(objects));
  return { findings: dedupe(sortFindings(findings)), target, connectivity };
}

function copyCatalog(catalog: CrdCatalog | undefined): CrdCatalog {
  const copy = emptyCrdCatalog();
  for (const [key, schema] of catalog?.schemas ?? []) copy.schemas.set(key, schema);
  for (const [key, warning] of catalog?.deprecated ?? []) copy.deprecated.set(key, warning);
  copy.files.push(...(catalog?.files ?? []));
  return copy;
}

const ALL_ZERO_DIGEST = /@sha256:0{64}$/;

/** Supply chain and operability, as warnings: unpinned or placeholder images, mounted tokens, missing limits and probes. */
function workloadFindings(objects: readonly Manifest[]): Finding[] {
  const findings: Finding[] = [];
  const templates = new Map(podTemplates(objects).map((template) => [template.owner, template]));
  for (const workload of summarizeWorkloads(objects)) {
    const template = templates.get(workload.id)!;
    const add = (field: string, message: string): void => {
      findings.push(finding('WARN', 'workload', { object: workload.id, field, message }));
    };
    const containerField = (name: string): string => {
      const list = template.spec.containers.some((container) => container.name === name) ? 'containers' : 'initContainers';
      return `${template.specPath}.${list}[${name}]`;
    };
    for (const image of workload.images) {
      if (ALL_ZERO_DIGEST.test(image.image)) add(`${containerField(image.container)}.image`, 'the digest is an all-zero placeholder: no registry serves it, the deploy fails closed until it is set');
      else if (!image.pinned) add(`${containerField(image.container)}.image`, `${image.image} is not pinned by digest: the tag can be moved under you`);
    }
    // An operator's pods that call the API by design (CloudNativePG's instance manager) keep it; the report still shows it.
    if (workload.tokenMounted && !template.createdByOperator) add(`${template.specPath}.automountServiceAccountToken`, `mounts a token of ServiceAccount ${workload.serviceAccount}: set automountServiceAccountToken: false unless it calls the Kubernetes API`);
    for (const container of template.spec.containers) {
      if (!container.resources?.limits?.memory) add(`${containerField(container.name)}.resources.limits.memory`, 'no memory limit');
      if (!container.resources?.requests?.cpu && !container.resources?.requests?.memory) add(`${containerField(container.name)}.resources.requests`, 'no resource requests');
      const serves = (container.ports ?? []).length > 0 && !['Job', 'CronJob'].includes(template.ownerKind);
      if (serves && !container.readinessProbe) add(`${containerField(container.name)}.readinessProbe`, 'serves a port but has no readiness probe');
    }
  }
  return findings;
}

function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((found) => {
    const key = `${found.severity}|${found.object}|${found.field}|${found.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
