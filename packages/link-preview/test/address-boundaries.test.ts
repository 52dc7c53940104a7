import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { nonPublicRange } from '../src/preview/index.js';

/**
 * An independent, integer-based reference for the IPv4 ranges the issue lists, used to probe the
 * first and last address of every range and the neighbours just outside it.
 */
const IPV4_BLOCKED = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.31.196.0/24', '192.52.193.0/24', '192.88.99.0/24', '192.168.0.0/16', '192.175.48.0/24',
  '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];

const toInt = (address: string): number => address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
const toAddress = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

function bounds(cidr: string): [number, number] {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const first = toInt(base);
  return [first, first + size - 1];
}

const referenceBlocked = (value: number): boolean => IPV4_BLOCKED.some((cidr) => {
  const [first, last] = bounds(cidr);
  return value >= first && value <= last;
});

describe('IPv4 range boundaries against an independent reference', () => {
  const probes = IPV4_BLOCKED.flatMap((cidr) => {
    const [first, last] = bounds(cidr);
    return [first - 1, first, first + 1, last - 1, last, last + 1].filter((value) => value >= 0 && value <= 0xffffffff);
  });

  it.each(probes.map((value) => [toAddress(value), referenceBlocked(value)] as const))('%s blocked: %s', (address, blocked) => {
    expect(isIPv4(address)).toBe(true);
    expect(nonPublicRange(address) !== undefined).toBe(blocked);
    // The IPv4-mapped IPv6 spelling reaches the same host, so it must be classified the same way.
    expect(nonPublicRange(`::ffff:${address}`) !== undefined).toBe(blocked);
  });

  it('agrees with the reference on a deterministic sample of 20 000 addresses', () => {
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const disagreements: string[] = [];
    for (let i = 0; i < 20_000; i += 1) {
      const value = next();
      if ((nonPublicRange(toAddress(value)) !== undefined) !== referenceBlocked(value)) disagreements.push(toAddress(value));
    }
    expect(disagreements).toEqual([]);
    // CPU-bound by design; generous so it holds on a loaded machine and under mutation instrumentation.
  }, 30_000);
});
