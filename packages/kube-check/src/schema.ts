import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type Manifest, objectId, podTemplates } from './manifest.js';
import { type Problem, pointerToField, problemText } from './problem.js';

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
  const report = schemaProblems(objects);
  return { errors: report.problems.map(problemText), unknownKinds: report.unknownKinds };
}

export interface SchemaProblems {
  readonly problems: Problem[];
  /** `apiVersion kind` pairs kubernetes-models has no schema for. */
  readonly unknownKinds: string[];
}

/** {@link validateManifests} with the failing field of each problem kept apart from its message. */
export function schemaProblems(objects: readonly Manifest[]): SchemaProblems {
  const problems: Problem[] = [];
  const unknownKinds = new Set<string>();
  const known: Manifest[] = [];
  for (const object of objects) {
    const Model = hasBuiltInSchema(object) ? loadModel(modelLocation(object.apiVersion, object.kind)) : undefined;
    if (!Model) {
      unknownKinds.add(`${object.apiVersion} ${object.kind}`);
      continue;
    }
    known.push(object);
    try {
      new Model(object).validate();
    } catch (error) {
      const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
      const found = details?.map((detail) => ({ field: pointerToField(detail.instancePath), message: `${detail.instancePath || '/'} ${detail.message ?? ''}` })) ?? [{ field: '-', message: String(error) }];
      problems.push(...found.map((problem) => ({ object: objectId(object), ...problem })));
    }
  }
  problems.push(...unknownFields(known), ...objects.flatMap(lintProblems));
  return { problems, unknownKinds: [...unknownKinds].sort() };
}

/**
 * Only well-formed apiVersion/kind pairs are looked up as kubernetes-models modules: the module path
 * is built from the input, so a group like `..` must never reach `require`.
 */
function hasBuiltInSchema(object: Manifest): boolean {
  const group = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
  return typeof object.apiVersion === 'string' && typeof object.kind === 'string' && /^[A-Z][A-Za-z0-9]*$/.test(object.kind) &&
    new RegExp(`^(${group}/)?v[0-9]+[a-z0-9]*$`).test(object.apiVersion);
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

function unknownFields(objects: readonly Manifest[]): Problem[] {
  if (objects.length === 0) return [];
  const { checker, types } = typesFor(objects);
  const out: Problem[] = [];
  for (const object of objects) {
    const type = types.get(`${object.apiVersion}|${object.kind}`);
    if (!type || type.flags & ts.TypeFlags.Any) {
      out.push({ object: objectId(object), field: '-', message: 'no type declaration to check fields against' });
      continue;
    }
    walkFields(checker, object, type, '', (path) => out.push({ object: objectId(object), field: path.slice(1), message: `unknown field ${path}` }));
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
  return lintProblems(object).map(problemText);
}

/** {@link lintObject} with the field of each problem. */
export function lintProblems(object: Manifest): Problem[] {
  const id = objectId(object);
  const out: Problem[] = [];
  const add = (field: string, message: string): void => {
    out.push({ object: id, field, message });
  };
  const name = object.metadata?.name;
  if (!name) add('metadata.name', 'metadata.name is missing');
  else if (LABEL_NAMED_KINDS.has(object.kind) ? !DNS_LABEL.test(name) || name.length > 63 : !DNS_SUBDOMAIN.test(name) || name.length > 253) {
    add('metadata.name', `metadata.name ${JSON.stringify(name)} is not a valid ${LABEL_NAMED_KINDS.has(object.kind) ? 'DNS label' : 'DNS subdomain'}`);
  }
  for (const template of podTemplates([object])) {
    const at = template.specPath;
    const containers = [
      ...(template.spec.initContainers ?? []).map((container) => ({ container, path: `${at}.initContainers[${container.name}]` })),
      ...template.spec.containers.map((container) => ({ container, path: `${at}.containers[${container.name}]` })),
    ];
    if (template.spec.containers.length === 0) add(`${at}.containers`, 'pod template has no containers');
    const seen = new Set<string>();
    for (const { container, path } of containers) {
      if (seen.has(container.name)) add(path, `duplicate container name ${container.name}`);
      seen.add(container.name);
      if (!container.image || container.image.trim() === '') add(`${path}.image`, `container ${container.name} has no image`);
      for (const port of container.ports ?? []) {
        const portPath = `${path}.ports[${port.name ?? port.containerPort}]`;
        if (!portInRange(port.containerPort)) add(`${portPath}.containerPort`, `container ${container.name} containerPort ${port.containerPort} out of range 1-65535`);
        if (port.hostPort !== undefined && !portInRange(port.hostPort, 0)) add(`${portPath}.hostPort`, `container ${container.name} hostPort ${port.hostPort} out of range`);
        if (port.name !== undefined && (port.name.length > 15 || !PORT_NAME.test(port.name))) add(`${portPath}.name`, `container ${container.name} port name ${JSON.stringify(port.name)} is not an IANA service name`);
      }
      for (const probeName of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const probe = container[probeName];
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
        if (typeof port === 'number' && !portInRange(port)) add(`${path}.${probeName}`, `container ${container.name} ${probeName} port ${port} out of range`);
      }
    }
  }
  if (object.kind === 'Service') {
    const spec = (object.spec ?? {}) as { ports?: { port?: unknown; targetPort?: unknown; nodePort?: unknown; name?: string }[]; type?: string };
    (spec.ports ?? []).forEach((port, index) => {
      const at = `spec.ports[${index}]`;
      if (!portInRange(port.port)) add(`${at}.port`, `port ${String(port.port)} out of range 1-65535`);
      if (typeof port.targetPort === 'number' && !portInRange(port.targetPort)) add(`${at}.targetPort`, `targetPort ${port.targetPort} out of range`);
      if (typeof port.targetPort === 'string' && !PORT_NAME.test(port.targetPort)) add(`${at}.targetPort`, `targetPort ${JSON.stringify(port.targetPort)} is not a port name`);
      if (port.nodePort !== undefined) {
        if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') add(`${at}.nodePort`, `nodePort set on a ${spec.type ?? 'ClusterIP'} Service`);
        // The API server's default --service-node-port-range.
        else if (typeof port.nodePort !== 'number' || port.nodePort < 30000 || port.nodePort > 32767) add(`${at}.nodePort`, `nodePort ${String(port.nodePort)} outside 30000-32767`);
      }
    });
  }
  if (object.kind === 'NetworkPolicy') {
    type Rule = { ports?: { port?: unknown; endPort?: number }[] };
    const spec = (object.spec ?? {}) as { ingress?: Rule[]; egress?: Rule[] };
    for (const direction of ['ingress', 'egress'] as const) {
      (spec[direction] ?? []).forEach((rule, ruleIndex) => {
        (rule.ports ?? []).forEach((port, portIndex) => {
          const at = `spec.${direction}[${ruleIndex}].ports[${portIndex}]`;
          if (typeof port.port === 'number' && !portInRange(port.port)) add(`${at}.port`, `policy port ${port.port} out of range`);
          if (port.endPort !== undefined && (typeof port.port !== 'number' || port.endPort < port.port || !portInRange(port.endPort))) {
            add(`${at}.endPort`, `endPort ${port.endPort} needs a numeric port <= endPort <= 65535`);
          }
        });
      });
    }
  }
  return out;
}
