import { describe, expect, it } from 'vitest';
import { AddressPolicy, nonPublicRange } from '../src/preview/index.js';

describe('nonPublicRange', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    'when %s is public unicast, then it is allowed',
    (address) => expect(nonPublicRange(address)).toBeUndefined(),
  );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible'],
    ['64:ff9b::808:808', 'NAT64'],
    ['64:ff9b:1::1', 'NAT64 local-use'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['2002:808:808::1', '6to4'],
    ['fec0::1', 'site-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['4000::1', 'outside IPv6 global unicast'],
    ['not-an-ip', 'not an IP address'],
  ])('when %s is checked, then it is refused as %s', (address, range) => expect(nonPublicRange(address)).toBe(range));

  it('when a public address embeds a private IPv4 in a translation prefix, then it is refused', () => {
    // NAT64 of 8.8.8.8 still leaves the cluster through a translator we cannot vet: refused as a class.
    expect(nonPublicRange('64:ff9b::8.8.8.8')).toBe('NAT64');
  });
});

describe('AddressPolicy', () => {
  it('when no fixture ranges are given, then loopback is refused', () => {
    expect(new AddressPolicy().refusal('127.0.0.1')).toBe('loopback');
  });

  it('when a fixture range is given, then only addresses inside it are let through', () => {
    const policy = new AddressPolicy(['127.0.0.1/32']);
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refusal('127.0.0.2')).toBe('loopback');
    expect(policy.refusal('10.0.0.1')).toBe('private');
  });

  it('fails when a fixture range is not a CIDR', () => {
    expect(() => new AddressPolicy(['127.0.0.1'])).toThrow('allowedFixtureRanges: "127.0.0.1" is not a CIDR range');
  });
});
