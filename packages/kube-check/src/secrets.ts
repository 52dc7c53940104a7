import { type Manifest, objectId, podTemplates } from './manifest.js';
import { type Problem, problemText } from './problem.js';

/**
 * Finds secret material in manifests: Secret objects carrying data, ConfigMaps and env vars with
 * secret-looking names holding literal values, credentials embedded in URLs, and PEM private keys.
 * File-path variables (`*_FILE`) and references (`valueFrom`) are the accepted way and pass.
 */
const SECRET_NAME = /pass(word|wd)?|secret|token|credential|api[-_]?key|private[-_]?key|hmac/i;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function findSecretMaterial(objects: readonly Manifest[]): string[] {
  return secretMaterialProblems(objects).map(problemText);
}

/** {@link findSecretMaterial} with the field of each finding. Never includes the secret value. */
export function secretMaterialProblems(objects: readonly Manifest[]): Problem[] {
  const findings: Problem[] = [];
  for (const object of objects) {
    const id = objectId(object);
    const add = (field: string, message: string): void => {
      findings.push({ object: id, field, message });
    };
    if (object.kind === 'Secret') {
      const data = { ...(object.data as object | undefined), ...(object.stringData as object | undefined) };
      if (Object.keys(data).length > 0) add(object.stringData ? 'stringData' : 'data', `Secret carries data (${Object.keys(data).join(', ')})`);
    }
    if (object.kind === 'ConfigMap') {
      for (const [field, values] of [['data', object.data], ['binaryData', object.binaryData]] as const) {
        for (const key of Object.keys((values as object | undefined) ?? {})) {
          if (SECRET_NAME.test(key)) add(`${field}.${key}`, `ConfigMap key ${key} looks like a secret`);
        }
      }
    }
    for (const template of podTemplates([object])) {
      for (const field of ['initContainers', 'containers'] as const) {
        for (const container of template.spec[field] ?? []) {
          for (const env of container.env ?? []) {
            if (env.value !== undefined && SECRET_NAME.test(env.name) && !env.name.endsWith('_FILE') && env.value !== '') {
              add(`${template.specPath}.${field}[${container.name}].env[${env.name}].value`, `container ${container.name} env ${env.name} has a literal value`);
            }
          }
        }
      }
    }
    visitStrings(object, '', (path, value) => {
      if (URL_WITH_PASSWORD.test(value)) add(path, `${path} embeds credentials in a URL`);
      if (PRIVATE_KEY.test(value)) add(path, `${path} contains a private key`);
    });
  }
  return findings;
}

function visitStrings(value: unknown, path: string, visit: (path: string, value: string) => void): void {
  if (typeof value === 'string') visit(path, value);
  else if (Array.isArray(value)) value.forEach((item, index) => visitStrings(item, `${path}[${index}]`, visit));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) visitStrings(child, path ? `${path}.${key}` : key, visit);
  }
}

/** Raw-text scan of rendered YAML for known literal secrets (e.g. the CI database password). */
export function findLiterals(text: string, literals: readonly string[]): string[] {
  return literals.filter((literal) => literal !== '' && text.includes(literal));
}
