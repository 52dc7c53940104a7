import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type Manifest, objectId, podTemplates } from './manifest.js';

/**
 * Schema validation of synthesized objects against the Kubernetes OpenAPI schema as packaged by
 * kubernetes-models 4.5.1, plus what that validator does not check (FACTS.md): unknown fields
 * (found by walking the object alongside the model's TypeScript declarations), missing images,
 * out-of-range ports, invalid names.
 */

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

interface ModelClass {
  new (data: unknown): { validate(): void };
}

interface ModelLocation {
  readonly module: string;
  readonly kind: string;
}

function modelLocation(apiVersion: string, kind: string): ModelLocation {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return { module: group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`, kind };
}

function loadModel(location: ModelLocation): ModelClass | undefined {
  try {
    return (require(location.module) as Record<string, ModelClass>)[location.kind];
  } catch {
    return undefined;
  }
}

export interface SchemaReport {
  /** `Kind/ns/name: message` for every problem found. */
  readonly errors: string[];
  /** `apiVersion kind` pairs kubernetes-models has no schema for (CRDs); the caller decides. */
  readonly unknownKinds: string[];
}

/** Validates every object; objects of kinds without a model are listed, not silently passed. */
export function validateManifests(objects: readonly Manifest[]): SchemaReport {
  const errors: string[] = [];
  const unknownKinds = new Set<string>();
  const known: Manifest[] = [];
  for (const object of objects) {
    const Model = loadModel(modelLocation(object.apiVersion, object.kind));
    if (!Model) {
      unknownKinds.add(`${object.apiVersion} ${object.kind}`);
      continue;
    }
    known.push(object);
    try {
      new Model(object).validate();
    } catch (error) {
      const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
      const messages = details?.map((detail) => `${detail.instancePath || '/'} ${detail.message ?? ''}`) ?? [String(error)];
      errors.push(...messages.map((message) => `${objectId(object)}: ${message}`));
    }
  }
  errors.push(...unknownFields(known), ...objects.flatMap(lintObject));
  return { errors, unknownKinds: [...unknownKinds].sort() };
}

// ---- unknown fields -------------------------------------------------------------------------

let cachedChecker: { key: string; checker: ts.TypeChecker; types: Map<string, ts.Type> } | undefined;

/** Kinds loaded up front, so one compilation (~1 s) serves every typical call. */
const COMMON_KINDS = [
  'v1|Namespace', 'v1|Service', 'v1|ServiceAccount', 'v1|ConfigMap', 'v1|Secret', 'v1|Pod', 'v1|PersistentVolumeClaim',
  'apps/v1|Deployment', 'apps/v1|StatefulSet', 'apps/v1|DaemonSet', 'batch/v1|Job', 'batch/v1|CronJob',
  'networking.k8s.io/v1|NetworkPolicy', 'networking.k8s.io/v1|Ingress', 'policy/v1|PodDisruptionBudget',
];

function typesFor(objects: readonly Manifest[]): { checker: ts.TypeChecker; types: Map<string, ts.Type> } {
  const requested = objects.map((object) => `${object.apiVersion}|${object.kind}`);
  if (cachedChecker && requested.every((pair) => cachedChecker?.types.has(pair))) return cachedChecker;
  const pairs = [...new Set([...COMMON_KINDS, ...requested, ...(cachedChecker?.types.keys() ?? [])])].sort();
  const key = pairs.join(',');
  const fileName = join(here, '__known_fields__.ts');
  const source = pairs
    .map((pair, index) => {
      const [apiVersion = '', kind = ''] = pair.split('|');
      return `import type { I${kind} as T${index} } from '${modelLocation(apiVersion, kind).module}';\nexport type { T${index} };`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, languageVersion) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(fileName);
  const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
  if (!moduleSymbol) throw new Error('could not load kubernetes-models type declarations');
  const exports = checker.getExportsOfModule(moduleSymbol);
  const types = new Map<string, ts.Type>();
  pairs.forEach((pair, index) => {
    const symbol = exports.find((candidate) => candidate.name === `T${index}`);
    if (!symbol) return;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    types.set(pair, checker.getDeclaredTypeOfSymbol(target));
  });
  cachedChecker = { key, checker, types };
  return cachedChecker;
}

function unknownFields(objects: readonly Manifest[]): string[] {
  if (objects.length === 0) return [];
  const { checker, types } = typesFor(objects);
  const out: string[] = [];
  for (const object of objects) {
    const type = types.get(`${object.apiVersion}|${object.kind}`);
    if (!type || type.flags & ts.TypeFlags.Any) {
      out.push(`${objectId(object)}: no type declaration to check fields against`);
      continue;
    }
    walkFields(checker, object, type, '', (path) => out.push(`${objectId(object)}: unknown field ${path}`));
  }
  return out;
}

function walkFields(checker: ts.TypeChecker, value: unknown, declared: ts.Type, path: string, report: (path: string) => void): void {
  if (value === null || typeof value !== 'object') return; // scalar types are the schema validator's job
  let type = checker.getNonNullableType(declared);
  if (Array.isArray(value)) {
    if (!checker.isArrayType(type)) return;
    const element = checker.getTypeArguments(type as ts.TypeReference)[0];
    if (element) value.forEach((item, index) => walkFields(checker, item, element, `${path}[${index}]`, report));
    return;
  }
  if (type.isUnion()) {
    const objectTypes = type.types.filter((member) => member.flags & ts.TypeFlags.Object && !checker.isArrayType(member));
    if (objectTypes.length !== 1 || !objectTypes[0]) return;
    type = objectTypes[0];
  }
  if (!(type.flags & ts.TypeFlags.Object)) return;
  const indexType = checker.getIndexTypeOfType(type, ts.IndexKind.String);
  for (const [key, child] of Object.entries(value)) {
    const property = checker.getPropertyOfType(type, key);
    const childPath = `${path}.${key}`;
    if (property) walkFields(checker, child, checker.getTypeOfSymbol(property), childPath, report);
    else if (indexType) walkFields(checker, child, indexType, childPath, report);
    else report(childPath);
  }
}

// ---- what the schema cannot express -----------------------------------------------------------

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names become DNS labels (RFC 1035), not subdomains. */
const LABEL_NAMED_KINDS = new Set(['Service', 'Namespace']);

function portInRange(port: unknown, min = 1): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= min && port <= 65535;
}

/** Checks the OpenAPI schema cannot express: names, images, port ranges, duplicate names. */
export function lintObject(object: Manifest): string[] {
  const id = objectId(object);
  const out: string[] = [];
  const name = object.metadata?.name;
  if (!name) out.push(`${id}: metadata.name is missing`);
  else if (LABEL_NAMED_KINDS.has(object.kind) ? !DNS_LABEL.test(name) || name.length > 63 : !DNS_SUBDOMAIN.test(name) || name.length > 253) {
    out.push(`${id}: metadata.name ${JSON.stringify(name)} is not a valid ${LABEL_NAMED_KINDS.has(object.kind) ? 'DNS label' : 'DNS subdomain'}`);
  }
  for (const template of podTemplates([object])) {
    const containers = [...(template.spec.initContainers ?? []), ...template.spec.containers];
    if (template.spec.containers.length === 0) out.push(`${id}: pod template has no containers`);
    const seen = new Set<string>();
    for (const container of containers) {
      if (seen.has(container.name)) out.push(`${id}: duplicate container name ${container.name}`);
      seen.add(container.name);
      if (!container.image || container.image.trim() === '') out.push(`${id}: container ${container.name} has no image`);
      for (const port of container.ports ?? []) {
        if (!portInRange(port.containerPort)) out.push(`${id}: container ${container.name} containerPort ${port.containerPort} out of range 1-65535`);
        if (port.hostPort !== undefined && !portInRange(port.hostPort, 0)) out.push(`${id}: container ${container.name} hostPort ${port.hostPort} out of range`);
        if (port.name !== undefined && (port.name.length > 15 || !PORT_NAME.test(port.name))) out.push(`${id}: container ${container.name} port name ${JSON.stringify(port.name)} is not an IANA service name`);
      }
      for (const probeName of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const probe = container[probeName];
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
        if (typeof port === 'number' && !portInRange(port)) out.push(`${id}: container ${container.name} ${probeName} port ${port} out of range`);
      }
    }
  }
  if (object.kind === 'Service') {
    const spec = (object.spec ?? {}) as { ports?: { port?: unknown; targetPort?: unknown; nodePort?: unknown; name?: string }[]; type?: string };
    for (const port of spec.ports ?? []) {
      if (!portInRange(port.port)) out.push(`${id}: port ${String(port.port)} out of range 1-65535`);
      if (typeof port.targetPort === 'number' && !portInRange(port.targetPort)) out.push(`${id}: targetPort ${port.targetPort} out of range`);
      if (typeof port.targetPort === 'string' && !PORT_NAME.test(port.targetPort)) out.push(`${id}: targetPort ${JSON.stringify(port.targetPort)} is not a port name`);
      if (port.nodePort !== undefined) {
        if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') out.push(`${id}: nodePort set on a ${spec.type ?? 'ClusterIP'} Service`);
        // The API server's default --service-node-port-range.
        else if (typeof port.nodePort !== 'number' || port.nodePort < 30000 || port.nodePort > 32767) out.push(`${id}: nodePort ${String(port.nodePort)} outside 30000-32767`);
      }
    }
  }
  if (object.kind === 'NetworkPolicy') {
    const spec = (object.spec ?? {}) as { ingress?: { ports?: { port?: unknown; endPort?: number }[] }[]; egress?: { ports?: { port?: unknown; endPort?: number }[] }[] };
    for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
      for (const port of rule.ports ?? []) {
        if (typeof port.port === 'number' && !portInRange(port.port)) out.push(`${id}: policy port ${port.port} out of range`);
        if (port.endPort !== undefined && (typeof port.port !== 'number' || port.endPort < port.port || !portInRange(port.endPort))) {
          out.push(`${id}: endPort ${port.endPort} needs a numeric port <= endPort <= 65535`);
        }
      }
    }
  }
  return out;
}
