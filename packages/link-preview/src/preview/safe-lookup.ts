import { lookup as systemLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import { blockedDestination, hostNotFound, upstreamFailure, type PreviewError } from './errors.js';

/** One resolved address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves a host name to every address it has. The default is the system resolver (`/etc/hosts`,
 * `/etc/resolv.conf`); tests inject one that asks a DNS server on loopback.
 */
export type HostLookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemHostLookup: HostLookup = (hostname) =>
  new Promise((resolve, reject) => {
    systemLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 })));
    });
  });

/** Reported when a refused address was seen, so the caller can log it without telling the client. */
export type RefusalListener = (hostname: string, address: string, range: string) => void;

const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

function toPreviewError(error: unknown): PreviewError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && NOT_FOUND_CODES.has(code) ? hostNotFound() : upstreamFailure('DNS lookup failed');
}

/**
 * The `lookup` given to every socket the previewer opens. Node calls it for host names only (never
 * for IP literals, which are checked before the request). It resolves once and refuses the whole
 * answer when any address is not allowed — a name with one private address is an attack, not a
 * partial success — so the socket can only ever connect to an address that was checked.
 */
export function createValidatingLookup(
  hostLookup: HostLookup,
  policy: AddressPolicy,
  onRefusal: RefusalListener,
): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    hostLookup(hostname).then(
      (answers) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = wanted === undefined ? answers : answers.filter((answer) => answer.family === wanted);
        for (const answer of answers) {
          const range = policy.refusal(answer.address);
          if (range !== undefined) {
            onRefusal(hostname, answer.address, range);
            callback(blockedDestination() as unknown as NodeJS.ErrnoException, '', 4);
            return;
          }
        }
        const first = usable[0];
        if (first === undefined) {
          callback(hostNotFound() as unknown as NodeJS.ErrnoException, '', 4);
        } else if (options.all) {
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(
            null,
            usable.map((answer) => ({ address: answer.address, family: answer.family })),
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(toPreviewError(error) as unknown as NodeJS.ErrnoException, '', 4),
    );
  };
}
