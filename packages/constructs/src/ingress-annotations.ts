/** Prefix ingress-nginx reads annotations from. */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/**
 * Annotations HardenedIngress accepts. Anything else is rejected, so a new, dangerous controller
 * feature cannot be switched on without a code review of this list.
 */
export const ALLOWED_INGRESS_ANNOTATIONS: readonly string[] = Object.freeze([
  ...[
    'backend-protocol',
    'force-ssl-redirect',
    'ssl-redirect',
    'proxy-body-size',
    'proxy-buffering',
    'proxy-connect-timeout',
    'proxy-read-timeout',
    'proxy-send-timeout',
    'limit-rps',
    'limit-rpm',
    'limit-connections',
    'limit-burst-multiplier',
    'enable-cors',
    'cors-allow-origin',
    'cors-allow-methods',
    'cors-allow-headers',
    'cors-allow-credentials',
    'cors-max-age',
    'whitelist-source-range',
    'denylist-source-range',
    'service-upstream',
    'upstream-vhost',
  ].map((name) => NGINX_ANNOTATION_PREFIX + name),
  'cert-manager.io/cluster-issuer',
  'cert-manager.io/issuer',
]);

/**
 * ingress-nginx annotations that inject configuration or make the controller fetch or send on
 * an attacker's behalf (IngressNightmare, CVE-2025-1097/1098/24514/1974, CVE-2021-25742).
 */
const DANGEROUS: ReadonlyArray<{ readonly test: (name: string) => boolean; readonly why: string }> = [
  { test: (name) => name.endsWith('-snippet'), why: 'snippets inject raw nginx configuration' },
  { test: (name) => name === 'auth-url', why: 'auth-url was an IngressNightmare configuration-injection vector' },
  { test: (name) => name.startsWith('auth-tls-'), why: 'auth-tls-* was an IngressNightmare configuration-injection vector' },
  { test: (name) => name.startsWith('mirror-'), why: 'mirror-* was an IngressNightmare vector and copies traffic elsewhere' },
];

/** Characters that can break out of an nginx directive if a controller templates them unescaped. */
const UNSAFE_VALUE = /[{};"'\\$#\r\n`]/;

/** Throws unless every annotation is on the allow-list and has an inert value. */
export function validateIngressAnnotations(annotations: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(annotations)) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    const danger = DANGEROUS.find((d) => d.test(name));
    if (danger !== undefined) {
      throw new Error(`ingress annotation '${key}' is rejected: ${danger.why}; remove it (no relaxation exists)`);
    }
    if (!ALLOWED_INGRESS_ANNOTATIONS.includes(key)) {
      throw new Error(
        `ingress annotation '${key}' is not on the allow-list; allowed: ${ALLOWED_INGRESS_ANNOTATIONS.join(', ')}`,
      );
    }
    if (UNSAFE_VALUE.test(value)) {
      throw new Error(`ingress annotation '${key}' has a value with characters nginx could interpret, got '${value}'`);
    }
  }
}
