import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, objectId, parseManifests } from './manifest.js';
import { type Problem, pointerToField, problemText } from './problem.js';

/**
 * Validates custom resources against the openAPIV3Schema of their CustomResourceDefinition — the
 * structural-schema subset the API server enforces — and, unlike the API server (which silently
 * prunes them), reports unknown fields as errors.
 */
export interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly items?: JsonSchema;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly nullable?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  /** The value is a whole Kubernetes object: apiVersion, kind and metadata are allowed implicitly. */
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** `apiVersion|kind` → schema, for every served version of every CRD in the YAML. */
export function loadCrdSchemas(yamlText: string): Map<string, JsonSchema> {
  const catalog = emptyCrdCatalog();
  addCrds(catalog, parseManifests(yamlText));
  return catalog.schemas;
}

export interface CrdReport {
  readonly errors: string[];
  /** Objects whose kind none of the schemas describe. */
  readonly unknownKinds: string[];
}

export function validateCustomResources(objects: readonly Manifest[], schemas: ReadonlyMap<string, JsonSchema>): CrdReport {
  const report = customResourceProblems(objects, schemas);
  return { errors: report.problems.map(problemText), unknownKinds: report.unknownKinds };
}

/** {@link validateCustomResources} with the failing field of each problem. */
export function customResourceProblems(objects: readonly Manifest[], schemas: ReadonlyMap<string, JsonSchema>): { problems: Problem[]; unknownKinds: string[] } {
  const problems: Problem[] = [];
  const unknownKinds = new Set<string>();
  for (const object of objects) {
    const schema = schemas.get(`${object.apiVersion}|${object.kind}`);
    if (!schema) {
      unknownKinds.add(`${object.apiVersion} ${object.kind}`);
      continue;
    }
    const found: SchemaError[] = [];
    // The API server validates metadata itself; a CRD schema may only require it.
    const implicit = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    validate(object, { ...schema, properties: { ...schema.properties, ...implicit } }, '', found);
    problems.push(...found.map((error) => ({ object: objectId(object), field: pointerToField(error.path), message: error.text })));
  }
  return { problems, unknownKinds: [...unknownKinds].sort() };
}

/** Every CustomResourceDefinition found in a set of files: schemas and deprecated versions. */
export interface CrdCatalog {
  /** `apiVersion|kind` → schema. */
  readonly schemas: Map<string, JsonSchema>;
  /** `apiVersion|kind` → the CRD's deprecation warning, for served versions marked deprecated. */
  readonly deprecated: Map<string, string>;
  /** The files the CRDs came from. */
  readonly files: string[];
}

/** An empty catalog to add CRDs to. */
export function emptyCrdCatalog(): CrdCatalog {
  return { schemas: new Map(), deprecated: new Map(), files: [] };
}

/** Adds every served version of every CRD among `objects` to the catalog. */
export function addCrds(catalog: CrdCatalog, objects: readonly Manifest[]): void {
  for (const crd of objects.filter((object) => object.kind === 'CustomResourceDefinition')) {
    const spec = crd.spec as CrdSpec;
    for (const version of spec.versions ?? []) {
      if (version.served === false || !version.schema) continue;
      const key = `${spec.group}/${version.name}|${spec.names.kind}`;
      catalog.schemas.set(key, version.schema.openAPIV3Schema);
      if (version.deprecated) catalog.deprecated.set(key, version.deprecationWarning ?? `${spec.group}/${version.name} ${spec.names.kind} is deprecated`);
    }
  }
}

/** Reads every `*.yaml`/`*.yml` file under `directory`, recursively, and keeps the CRDs among them. */
export function readCrdDirectory(directory: string, catalog: CrdCatalog = emptyCrdCatalog()): CrdCatalog {
  for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) readCrdDirectory(path, catalog);
    else if (/\.ya?ml$/.test(entry.name)) {
      const before = catalog.schemas.size;
      addCrds(catalog, parseManifests(readFileSync(path, 'utf8')));
      if (catalog.schemas.size > before) catalog.files.push(path);
    }
  }
  return catalog;
}

interface CrdSpec {
  group: string;
  names: { kind: string };
  versions?: { name: string; served?: boolean; deprecated?: boolean; deprecationWarning?: string; schema?: { openAPIV3Schema: JsonSchema } }[];
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

interface SchemaError {
  readonly path: string;
  readonly text: string;
}

function validate(value: unknown, schema: JsonSchema, path: string, out: SchemaError[]): void {
  const at = path || '/';
  const actual = typeOf(value);
  if (actual === 'null' && schema.nullable) return;
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') out.push({ path, text: `${at} must be an integer or a string` });
    return;
  }
  if (schema.type && !(schema.type === actual || (schema.type === 'number' && actual === 'integer'))) {
    out.push({ path, text: `${at} must be ${schema.type}, got ${actual}` });
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) out.push({ path, text: `${at} must be one of ${schema.enum.map(String).join(', ')}, got ${String(value)}` });
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push({ path, text: `${at} shorter than ${schema.minLength}` });
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push({ path, text: `${at} longer than ${schema.maxLength}` });
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) out.push({ path, text: `${at} does not match ${schema.pattern}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push({ path, text: `${at} below ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) out.push({ path, text: `${at} above ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push({ path, text: `${at} needs at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push({ path, text: `${at} allows at most ${schema.maxItems} items` });
    if (schema.items) value.forEach((item, index) => validate(item, schema.items!, `${path}/${index}`, out));
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) out.push({ path, text: `${at} is missing required field ${key}` });
    const embedded = schema['x-kubernetes-embedded-resource'] === true;
    for (const [key, child] of Object.entries(record)) {
      if (embedded && (key === 'apiVersion' || key === 'kind' || key === 'metadata') && !schema.properties?.[key]) continue;
      const property = schema.properties?.[key];
      if (property) validate(child, property, `${path}/${key}`, out);
      else if (typeof schema.additionalProperties === 'object') validate(child, schema.additionalProperties, `${path}/${key}`, out);
      else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) out.push({ path: `${path}/${key}`, text: `${path}/${key} is an unknown field` });
    }
  }
  for (const [keyword, alternatives] of [['oneOf', schema.oneOf], ['anyOf', schema.anyOf]] as const) {
    if (!alternatives) continue;
    // Structural schemas use oneOf/anyOf only for value constraints (e.g. "port is a name or a number").
    const passing = alternatives.filter((alternative) => {
      const problems: SchemaError[] = [];
      validate(value, { ...alternative, 'x-kubernetes-preserve-unknown-fields': true }, path, problems);
      return problems.length === 0;
    }).length;
    if (keyword === 'oneOf' ? passing !== 1 : passing === 0) out.push({ path, text: `${at} does not satisfy ${keyword}` });
  }
  for (const part of schema.allOf ?? []) validate(value, { ...part, 'x-kubernetes-preserve-unknown-fields': true }, path, out);
}
