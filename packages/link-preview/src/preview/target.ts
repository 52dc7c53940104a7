import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import { badUrl, blockedDestination } from './errors.js';
import type { RefusalListener } from './safe-lookup.js';

/** A URL that passed every check that can be made before connecting. */
export interface Target {
  readonly url: URL;
  /** The host as the socket layer wants it: no brackets around IPv6 literals. */
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
}

export interface TargetRules {
  readonly allowedPorts: ReadonlySet<number>;
  readonly policy: AddressPolicy;
  readonly onRefusal: RefusalListener;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * Checks scheme, credentials, port and — for IP literals, which Node connects to without calling
 * `lookup` — the address itself. Host names are checked later, answer by answer, by the
 * validating lookup of the socket that connects.
 */
export function checkTarget(input: string | URL, rules: TargetRules): Target {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw badUrl('invalid URL');
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) throw badUrl('only http and https URLs are allowed');
  if (url.username !== '' || url.password !== '') throw badUrl('URLs with credentials are not allowed');
  const port = url.port === '' ? defaultPort : Number(url.port);
  if (!rules.allowedPorts.has(port)) throw badUrl('port not allowed');
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(hostname) !== 0) {
    const range = rules.policy.refusal(hostname);
    if (range !== undefined) {
      rules.onRefusal(hostname, hostname, range);
      throw blockedDestination();
    }
  }
  url.hash = '';
  return { url, hostname, port, secure: url.protocol === 'https:' };
}
