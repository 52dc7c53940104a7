/**
 * Which of the services' documented settings (the Configuration tables of the natter-api and
 * link-preview READMEs) `npm run dev` decides itself, and which it passes through from its own
 * environment to the one service that reads them. scripts/test/dev-settings.test.ts checks that
 * every documented variable is in exactly one of these lists.
 */

/** Passed through to the API when set, e.g. `CORS_ORIGIN=https://localhost:9999 npm run dev`. */
export const API_PASS_THROUGH = [
  'CORS_ORIGIN',
  'TRUSTED_PROXIES',
  'TRUSTED_PROXY_IDENTITIES',
  'RATE_LIMIT_GLOBAL_PER_SECOND',
  'RATE_LIMIT_GLOBAL_BURST',
  'RATE_LIMIT_PER_ADDRESS_PER_SECOND',
  'RATE_LIMIT_PER_ADDRESS_BURST',
  'RATE_LIMIT_PER_USER_PER_SECOND',
  'RATE_LIMIT_PER_USER_BURST',
  'PREVIEW_BUDGET_MS',
  'PREVIEW_CACHE_TTL_MS',
  'PREVIEW_CACHE_MAX_ENTRIES',
  'TOKEN_PURGE_INTERVAL_MS',
  'DATABASE_POOL_MAX',
  'DATABASE_APPLICATION_NAME',
  'BASIC_AUTH_CACHE_TTL_SECONDS',
  'BASIC_AUTH_CACHE_MAX_ENTRIES',
] as const;

/** Passed through to link-preview when set, e.g. `PREVIEW_TIMEOUT_MS=5000 npm run dev`. */
export const LINK_PREVIEW_PASS_THROUGH = ['PREVIEW_TIMEOUT_MS', 'PREVIEW_MAX_BYTES', 'PREVIEW_MAX_REDIRECTS', 'PREVIEW_ALLOWED_PORTS', 'PREVIEW_MAX_CONCURRENCY', 'READINESS_DNS_NAME'] as const;

/** Read by npm run dev itself and handed to both services (it must show their listening lines). */
export const SHARED = ['LOG_LEVEL'] as const;

/** The database: DATABASE_URL (migrate as that owner), or DATABASE_HOST and friends (passed through). */
export const DATABASE = ['DATABASE_URL', 'DATABASE_HOST', 'DATABASE_PORT', 'DATABASE_NAME', 'DATABASE_USER', 'DATABASE_PASSWORD_FILE', 'DATABASE_SSL_ROOT_CERT_FILE'] as const;

/** Decided by npm run dev for each service; set in its environment, they are ignored with a notice. */
export const DECIDED_BY_DEV: Readonly<Record<string, string>> = {
  PORT: 'the API listens on --port, link-preview on a free port',
  BIND_ADDRESS: 'both services listen on 127.0.0.1 only',
  ALLOWED_HOSTS: 'computed from --port and --host-name',
  LINK_PREVIEW_URL: 'the link-preview it starts',
  HMAC_KEY_FILE: 'a fresh key in a private temporary folder',
};

/** The variables among `names` that are set in `env`. */
export function passThrough(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]!]])));
}
