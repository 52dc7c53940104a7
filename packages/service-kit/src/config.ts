import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** The environment a service is configured from; `process.env` in production, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A start-up configuration problem. The message names the variable and the accepted form. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A required (or defaulted) string variable. */
export function envString(env: Env, name: string, options: { default?: string } = {}): string {
  const value = present(env, name) ?? options.default;
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
}

/** An optional string variable: `undefined` when unset or blank. */
export function envOptionalString(env: Env, name: string): string | undefined {
  return present(env, name);
}

/** A decimal integer within `[min, max]`. */
export function envInteger(
  env: Env,
  name: string,
  options: { default?: number; min: number; max: number },
): number {
  const raw = present(env, name);
  if (raw === undefined) {
    if (options.default === undefined) throw new ConfigError(name, 'is required but not set');
    return options.default;
  }
  if (!/^\d+$/.test(raw)) {
    throw new ConfigError(name, `must be a whole number between ${options.min} and ${options.max}, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < options.min || value > options.max) {
    throw new ConfigError(name, `must be between ${options.min} and ${options.max}, got ${value}`);
  }
  return value;
}

/** A comma-separated list of non-empty items. */
export function envList(env: Env, name: string, options: { default?: readonly string[] } = {}): readonly string[] {
  const raw = present(env, name);
  if (raw === undefined) {
    if (options.default === undefined) throw new ConfigError(name, 'is required but not set (a comma-separated list)');
    return options.default;
  }
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new ConfigError(name, `must be a comma-separated list without empty items, got "${raw}"`);
  }
  return items;
}

const HOST_WITH_OPTIONAL_PORT = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** Host header values (`name` or `name:port`, lower-cased), e.g. the allowlist the chart computes. */
export function envHostList(env: Env, name: string): readonly string[] {
  return envList(env, name).map((entry) => {
    const host = entry.toLowerCase();
    if (!HOST_WITH_OPTIONAL_PORT.test(host)) {
      throw new ConfigError(name, `"${entry}" is not a host name or host:port`);
    }
    return host;
  });
}

/**
 * Reads a secret from the file named by the variable (a mounted Kubernetes Secret), so the secret
 * itself never travels through the environment. The value is never put into an error message.
 */
export function envSecretFile(env: Env, name: string): string {
  const path = envString(env, name);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(name, `cannot read secret file "${path}" (${code})`);
  }
  const secret = content.replace(/\r?\n$/, '');
  if (secret === '') throw new ConfigError(name, `secret file "${path}" is empty`);
  return secret;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `LOG_LEVEL`: a pino level, `info` unless set. */
export function envLogLevel(env: Env): string {
  const level = envString(env, 'LOG_LEVEL', { default: 'info' }).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  return level;
}

/** `BIND_ADDRESS`: the IP address to listen on; all IPv4 interfaces (what a pod needs) unless set. */
export function envBindAddress(env: Env): string {
  const address = envString(env, 'BIND_ADDRESS', { default: '0.0.0.0' });
  if (isIP(address) === 0) {
    throw new ConfigError('BIND_ADDRESS', `must be an IP address such as 0.0.0.0 or 127.0.0.1, got "${address}"`);
  }
  return address;
}
