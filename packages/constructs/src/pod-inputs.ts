// Internal: validation of what callers put into a hardened pod (env, image, annotations).
import type { EnvValue, k8s } from 'cdk8s-plus-27';

/** Env names that name a secret value; such values belong in a mounted file (`<NAME>_FILE`). */
const SECRET_LIKE_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS)$/i;

/** Throws unless `name` is a valid variable name that does not look like it carries a secret. */
export function assertPlainEnvName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`environment variable name must match [A-Za-z_][A-Za-z0-9_]*, got '${name}'`);
  }
  if (SECRET_LIKE_ENV.test(name)) {
    throw new Error(
      `environment variable '${name}' looks like a secret, which must never be in the YAML; ` +
        `mount it with secretFiles and pass the path in '${name}_FILE'`,
    );
  }
}

/**
 * One environment variable from a plain value or a cdk8s-plus `EnvValue`; throws for references to
 * Secrets, whose values must be mounted as files instead.
 */
export function envVar(name: string, value: string | EnvValue): k8s.EnvVar {
  assertPlainEnvName(name);
  if (typeof value === 'string') {
    return { name, value };
  }
  const source = value.valueFrom as k8s.EnvVarSource | undefined;
  if (source?.secretKeyRef !== undefined) {
    throw new Error(
      `environment variable '${name}' reads Secret '${source.secretKeyRef.name}': secret values never go into ` +
        `the environment; mount it with secretFiles and pass the path in '${name}_FILE'`,
    );
  }
  return source === undefined ? { name, value: String(value.value) } : { name, valueFrom: source };
}

/** The env list, or undefined when empty. */
export function renderEnv(env: readonly k8s.EnvVar[]): k8s.EnvVar[] | undefined {
  return env.length === 0 ? undefined : [...env];
}

export function assertImage(image: string): void {
  if (image.trim() === '' || /\s/.test(image)) {
    throw new Error(`image must be a non-empty image reference without spaces, got '${image}'`);
  }
}

/**
 * Throws for pod annotations that would switch off a kernel confinement the securityContext
 * sets up (legacy seccomp annotations, AppArmor `unconfined`).
 */
export function assertSafePodAnnotation(key: string, value: string): void {
  const legacySeccomp = key.startsWith('seccomp.security.alpha.kubernetes.io/') || key.startsWith('container.seccomp.security.alpha.kubernetes.io/');
  const unconfinedAppArmor = key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value === 'unconfined';
  if (legacySeccomp || unconfinedAppArmor) {
    throw new Error(
      `pod annotation '${key}: ${value}' would weaken the pod's confinement; remove it ` +
        `(seccomp is set to RuntimeDefault in the securityContext)`,
    );
  }
  if (key.startsWith('container.apparmor.security.beta.kubernetes.io/')) {
    throw new Error(
      `pod annotation '${key}' is the deprecated form of the AppArmor field; use the appArmorProfile prop ` +
        `(AppArmorProfile.localhost('${value.replace(/^localhost\//, '')}') or runtimeDefault())`,
    );
  }
}
