import { type Manifest, objectId, podTemplates } from './manifest.js';

/**
 * Finds secret material in manifests: Secret objects carrying data, ConfigMaps and env vars with
 * secret-looking names holding literal values, credentials embedded in URLs, and PEM private keys.
 * File-path variables (`*_FILE`) and references (`valueFrom`) are the accepted way and pass.
 */
const SECRET_NAME = /pass(word|wd)?|secret|token|credential|api[-_]?key|private[-_]?key|hmac/i;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function findSecretMaterial(objects: readonly Manifest[]): string[] {
  const findings: string[] = [];
  for (const object of objects) {
    const id = objectId(object);
    if (object.kind === 'Secret') {
      const data = { ...(object.data as object | undefined), ...(object.stringData as object | undefined) };
      if (Object.keys(data).length > 0) findings.push(`${id}: Secret carries data (${Object.keys(data).join(', ')})`);
    }
    if (object.kind === 'ConfigMap') {
      for (const key of Object.keys({ ...(object.data as object | undefined), ...(object.binaryData as object | undefined) })) {
        if (SECRET_NAME.test(key)) findings.push(`${id}: ConfigMap key ${key} looks like a secret`);
      }
    }
    for (const template of podTemplates([object])) {
      const containers = [...(template.spec.initContainers ?? []), ...template.spec.containers];
      for (const container of containers) {
        for (const env of container.env ?? []) {
          if (env.value !== undefined && SECRET_NAME.test(env.name) && !env.name.endsWith('_FILE') && env.value !== '') {
            findings.push(`${id}: container ${container.name} env ${env.name} has a literal value`);
          }
        }
      }
    }
    visitStrings(object, '', (path, value) => {
      if (URL_WITH_PASSWORD.test(value)) findings.push(`${id}: ${path} embeds credentials in a URL`);
      if (PRIVATE_KEY.test(value)) findings.push(`${id}: ${path} contains a private key`);
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
