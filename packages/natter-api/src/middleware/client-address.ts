import { BlockList, isIP } from 'node:net';
import type { NatterMiddleware } from '../context.js';

/** The header the Linkerd inbound proxy sets to the client's verified mTLS identity (and strips otherwise). */
export const MESH_CLIENT_IDENTITY_HEADER = 'l5d-client-id';

/**
 * The address a request comes from. X-Forwarded-For is believed only when the peer is a trusted
 * proxy, and then only as far as the chain of trusted proxies goes: walking from the right, the
 * first untrusted hop is the client (anything left of it could be forged by that client).
 *
 * With `trustedIdentities`, the peer must also have authenticated as one of them: `clientIdentity`
 * is the mesh identity the local Linkerd proxy verified over mTLS (`l5d-client-id`, which the proxy
 * sets or strips on every request). In a Linkerd-meshed pod every request arrives from the pod's
 * own address, so the address alone cannot tell the edge from any other admitted client.
 */
export function clientAddressResolver(
  trustedProxies: readonly string[],
  trustedIdentities: readonly string[] = [],
): (peer: string | undefined, forwardedFor: string | undefined, clientIdentity?: string) => string {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(prefix), type);
  }
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  const identities = new Set(trustedIdentities);
  const isTrustedIdentity = (identity: string | undefined): boolean => identities.size === 0 || (identity !== undefined && identities.has(identity));
  return (peer, forwardedFor, clientIdentity) => {
    const client = normalize(peer ?? 'unknown');
    if (trustedProxies.length === 0 || forwardedFor === undefined || !isTrusted(client) || !isTrustedIdentity(clientIdentity)) return client;
    const hops = forwardedFor.split(',').map((hop) => normalize(hop.trim()));
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = hops[index]!;
      if (isIP(hop) === 0) return client; // garbage in the chain: fall back to the proxy itself
      if (!isTrusted(hop)) return hop;
    }
    return hops[0] ?? client;
  };
}

/**
 * Resolves the request's client address once, into `ctx.state.clientAddress`, before the audit trail
 * and the rate limits, so both see the same address.
 */
export function clientAddress(options: { readonly trustedProxies: readonly string[]; readonly trustedIdentities: readonly string[] }): NatterMiddleware {
  const resolve = clientAddressResolver(options.trustedProxies, options.trustedIdentities);
  return async function clientAddressMiddleware(ctx, next) {
    ctx.state.clientAddress = resolve(ctx.req.socket.remoteAddress, ctx.get('X-Forwarded-For') || undefined, ctx.get(MESH_CLIENT_IDENTITY_HEADER) || undefined);
    await next();
  };
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}
