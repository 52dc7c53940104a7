import { type Manifest, objectId, parseManifests } from './manifest.js';

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
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** `apiVersion|kind` → schema, for every served version of every CRD in the YAML. */
export function loadCrdSchemas(yamlText: string): Map<string, JsonSchema> {
  const schemas = new Map<string, JsonSchema>();
  for (const crd of parseManifests(yamlText).filter((object) => object.kind === 'CustomResourceDefinition')) {
    const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served?: boolean; schema?: { openAPIV3Schema: JsonSchema } }[] };
    for (const version of spec.versions) {
      if (version.served === false || !version.schema) continue;
      schemas.set(`${spec.group}/${version.name}|${spec.names.kind}`, version.schema.openAPIV3Schema);
    }
  }
  return schemas;
}

export interface CrdReport {
  readonly errors: string[];
  /** Objects whose kind none of the schemas describe. */
  readonly unknownKinds: string[];
}

export function validateCustomResources(objects: readonly Manifest[], schemas: ReadonlyMap<string, JsonSchema>): CrdReport {
  const errors: string[] = [];
  const unknownKinds = new Set<string>();
  for (const object of objects) {
    const schema = schemas.get(`${object.apiVersion}|${object.kind}`);
    if (!schema) {
      unknownKinds.add(`${object.apiVersion} ${object.kind}`);
      continue;
    }
    const { metadata: _metadata, ...rest } = object;
    const problems: string[] = [];
    const implicit = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    validate(rest, { ...schema, properties: { ...schema.properties, ...implicit } }, '', problems);
    errors.push(...problems.map((problem) => `${objectId(object)}: ${problem}`));
  }
  return { errors, unknownKinds: [...unknownKinds].sort() };
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function validate(value: unknown, schema: JsonSchema, path: string, out: string[]): void {
  const at = path || '/';
  const actual = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') out.push(`${at} must be an integer or a string`);
    return;
  }
  if (schema.type && !(schema.type === actual || (schema.type === 'number' && actual === 'integer'))) {
    out.push(`${at} must be ${schema.type}, got ${actual}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at} must be one of ${schema.enum.map(String).join(', ')}, got ${String(value)}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${at} shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${at} longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) out.push(`${at} does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at} below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at} above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${at} needs at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${at} allows at most ${schema.maxItems} items`);
    if (schema.items) value.forEach((item, index) => validate(item, schema.items!, `${path}/${index}`, out));
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) out.push(`${at} is missing required field ${key}`);
    for (const [key, child] of Object.entries(record)) {
      const property = schema.properties?.[key];
      if (property) validate(child, property, `${path}/${key}`, out);
      else if (typeof schema.additionalProperties === 'object') validate(child, schema.additionalProperties, `${path}/${key}`, out);
      else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) out.push(`${path}/${key} is an unknown field`);
    }
  }
  for (const [keyword, alternatives] of [['oneOf', schema.oneOf], ['anyOf', schema.anyOf]] as const) {
    if (!alternatives) continue;
    // Structural schemas use oneOf/anyOf only for value constraints (e.g. "port is a name or a number").
    const passing = alternatives.filter((alternative) => {
      const problems: string[] = [];
      validate(value, { ...alternative, 'x-kubernetes-preserve-unknown-fields': true }, path, problems);
      return problems.length === 0;
    }).length;
    if (keyword === 'oneOf' ? passing !== 1 : passing === 0) out.push(`${at} does not satisfy ${keyword}`);
  }
}
