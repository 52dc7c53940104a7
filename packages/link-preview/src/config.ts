import { ConfigError, envBindAddress, envHostList, envInteger, envList, envLogLevel, envOptionalString, type Env } from '@natter/service-kit';

/** The limits the previewer runs with; deliberately nothing else (the test seams are not configurable). */
export interface PreviewLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly allowedPorts: readonly number[];
}

/** The service's whole configuration, parsed once at start-up. */
export interface Config {
  readonly port: number;
  readonly bindAddress: string;
  readonly allowedHosts: readonly string[];
  readonly logLevel: string;
  readonly maxConcurrency: number;
  /** A name `/ready` resolves (the resolver must answer for the pod to take previews); none: `/ready` checks the process only. */
  readonly readinessDnsName: string | undefined;
  readonly preview: PreviewLimits;
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
const DNS_NAME = /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function dnsName(env: Env, name: string): string | undefined {
  const value = envOptionalString(env, name);
  if (value !== undefined && !DNS_NAME.test(value)) throw new ConfigError(name, `must be a DNS name (e.g. my-service.my-namespace.svc.cluster.local), got "${value}"`);
  return value;
}

function ports(env: Env, name: string): readonly number[] {
  return envList(env, name, { default: ['80', '443'] }).map((entry) => {
    const port = /^\d{1,5}$/.test(entry) ? Number(entry) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) throw new ConfigError(name, `must list ports between 1 and 65535, got "${entry}"`);
    return port;
  });
}

/**
 * Reads the environment once. Every problem is a {@link ConfigError} naming the variable. Only
 * these variables exist: there is no way to switch on the previewer's test seams from here.
 */
export function parseConfig(env: Env): Config {
  return Object.freeze({
    port: envInteger(env, 'PORT', { default: 4567, min: 0, max: 65535 }),
    bindAddress: envBindAddress(env),
    allowedHosts: Object.freeze([...envHostList(env, 'ALLOWED_HOSTS')]),
    logLevel: envLogLevel(env),
    maxConcurrency: envInteger(env, 'PREVIEW_MAX_CONCURRENCY', { default: 64, min: 1, max: 10_000 }),
    readinessDnsName: dnsName(env, 'READINESS_DNS_NAME'),
    preview: Object.freeze({
      timeoutMs: envInteger(env, 'PREVIEW_TIMEOUT_MS', { default: 3000, min: 100, max: 60_000 }),
      maxBytes: envInteger(env, 'PREVIEW_MAX_BYTES', { default: 512 * 1024, min: 1024, max: 16 * 1024 * 1024 }),
      maxRedirects: envInteger(env, 'PREVIEW_MAX_REDIRECTS', { default: 10, min: 0, max: 20 }),
      allowedPorts: Object.freeze([...ports(env, 'PREVIEW_ALLOWED_PORTS')]),
    }),
  });
}
