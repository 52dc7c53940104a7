// Internal: validation of what callers put into a hardened pod (env, image, annotations).
import type { k8s } from 'cdk8s-plus-27';

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

/** Renders a plain-value env map. */
export function renderEnv(env: ReadonlyMap<string, string>): k8s.EnvVar[] | undefined {
  if (env.size === 0) {
    return undefined;
  }
  return [...env].map(([name, value]) => ({ name, value }));
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
}
