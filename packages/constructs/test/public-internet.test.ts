import { BlockList, isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertCidr } from '../src/cidr.js';
import { NON_PUBLIC_CIDRS, NON_PUBLIC_IPV4_CIDRS, NON_PUBLIC_IPV6_CIDRS } from '../src/index.js';

type Family = 'ipv4' | 'ipv6';

/** A BlockList per family: Node also matches IPv4 addresses against IPv4-mapped IPv6 rules. */
function excluded(address: string, family: Family): boolean {
  const list = new BlockList();
  for (const cidr of family === 'ipv4' ? NON_PUBLIC_IPV4_CIDRS : NON_PUBLIC_IPV6_CIDRS) {
    const [network, prefix] = cidr.split('/') as [string, string];
    list.addSubnet(network, Number(prefix), family);
  }
  return list.check(address, family);
}

describe('NON_PUBLIC_CIDRS', () => {
  it('are valid, canonical network addresses of the right family without duplicates', () => {
    expect(new Set(NON_PUBLIC_CIDRS).size).toBe(NON_PUBLIC_CIDRS.length);
    NON_PUBLIC_CIDRS.forEach((cidr) => expect(() => assertCidr(cidr), cidr).not.toThrow());
    NON_PUBLIC_IPV4_CIDRS.forEach((cidr) => expect(isIP(cidr.split('/')[0] ?? ''), cidr).toBe(4));
    NON_PUBLIC_IPV6_CIDRS.forEach((cidr) => expect(isIP(cidr.split('/')[0] ?? ''), cidr).toBe(6));
  });

  it.each([
    ['ipv4', '0.0.0.0'],
    ['ipv4', '10.1.2.3'],
    ['ipv4', '100.64.0.1'],
    ['ipv4', '127.0.0.1'],
    ['ipv4', '169.254.169.254'],
    ['ipv4', '172.31.255.255'],
    ['ipv4', '192.0.0.8'],
    ['ipv4', '192.0.2.1'],
    ['ipv4', '192.168.1.1'],
    ['ipv4', '198.19.0.1'],
    ['ipv4', '198.51.100.7'],
    ['ipv4', '203.0.113.9'],
    ['ipv4', '224.0.0.251'],
    ['ipv4', '255.255.255.255'],
    ['ipv6', '::'],
    ['ipv6', '::1'],
    ['ipv6', '::7f00:1'],
    ['ipv6', '::ffff:127.0.0.1'],
    ['ipv6', '::ffff:a9fe:a9fe'],
    ['ipv6', '64:ff9b::a00:1'],
    ['ipv6', '64:ff9b:1::1'],
    ['ipv6', '100::1'],
    ['ipv6', '2001:0:4136:e378::1'],
    ['ipv6', '2001:db8::1'],
    ['ipv6', '2002:a00:1::1'],
    ['ipv6', 'fc00::1'],
    ['ipv6', 'fd12:3456::1'],
    ['ipv6', 'fe80::1'],
    ['ipv6', 'fec0::1'],
    ['ipv6', 'ff02::1'],
  ] as const)('exclude the non-public %s address %s', (family, address) => {
    expect(excluded(address, family)).toBe(true);
  });

  it.each([
    ['ipv4', '1.1.1.1'],
    ['ipv4', '8.8.8.8'],
    ['ipv4', '93.184.215.14'],
    ['ipv4', '100.63.255.255'],
    ['ipv4', '172.32.0.1'],
    ['ipv4', '223.255.255.255'],
    ['ipv6', '2606:4700:4700::1111'],
    ['ipv6', '2a00:1450:4001:80b::200e'],
    ['ipv6', '2001:4860:4860::8888'],
  ] as const)('keep the public %s address %s reachable', (family, address) => {
    expect(excluded(address, family)).toBe(false);
  });
});
