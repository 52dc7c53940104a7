import { BlockList, isIP } from 'node:net';

/**
 * The address a request comes from. X-Forwarded-For is believed only when the peer is a trusted
 * proxy, and then only as far as the chain of trusted proxies goes: walking from the right, the
 * first untrusted hop is the client (anything left of it could be forged by that client).
 */
export function clientAddressResolver(trustedProxies: readonly string[]): (peer: string | undefined, forwardedFor: string | undefined) => string {
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
  return (peer, forwardedFor) => {
    const client = normalize(peer ?? 'unknown');
    if (trustedProxies.length === 0 || forwardedFor === undefined || !isTrusted(client)) return client;
    const hops = forwardedFor.split(',').map((hop) => normalize(hop.trim()));
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = hops[index]!;
      if (isIP(hop) === 0) return client; // garbage in the chain: fall back to the proxy itself
      if (!isTrusted(hop)) return hop;
    }
    return hops[0] ?? client;
  };
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}
