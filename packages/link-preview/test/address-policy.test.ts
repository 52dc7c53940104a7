import { describe, expect, it } from 'vitest';
import { AddressPolicy, nonPublicRange } from '../src/preview/index.js';
import { opinions } from '../src/preview/address-policy.js';

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

/**
 * Every range of the explicit list, written out independently of the source: the range, one
 * address inside it that no earlier entry shadows, and the name the refusal is logged with.
 */
const LISTED: ReadonlyArray<readonly [string, string, string]> = [
  ['0.0.0.0/8', '0.255.255.255', 'unspecified'],
  ['10.0.0.0/8', '10.255.255.255', 'private'],
  ['100.64.0.0/10', '100.127.255.255', 'carrier-grade NAT'],
  ['127.0.0.0/8', '127.255.255.255', 'loopback'],
  ['169.254.0.0/16', '169.254.255.255', 'link-local'],
  ['172.16.0.0/12', '172.31.255.255', 'private'],
  ['192.0.0.0/24', '192.0.0.255', 'IETF protocol assignments'],
  ['192.0.2.0/24', '192.0.2.255', 'documentation'],
  ['192.31.196.0/24', '192.31.196.255', 'AS112'],
  ['192.52.193.0/24', '192.52.193.255', 'AMT'],
  ['192.88.99.0/24', '192.88.99.255', '6to4 relay anycast'],
  ['192.168.0.0/16', '192.168.255.255', 'private'],
  ['192.175.48.0/24', '192.175.48.255', 'AS112'],
  ['198.18.0.0/15', '198.19.255.255', 'benchmarking'],
  ['198.51.100.0/24', '198.51.100.255', 'documentation'],
  ['203.0.113.0/24', '203.0.113.255', 'documentation'],
  ['224.0.0.0/4', '239.255.255.255', 'multicast'],
  ['255.255.255.255/32', '255.255.255.255', 'broadcast'],
  ['240.0.0.0/4', '240.0.0.0', 'reserved'],
  ['::/128', '::', 'unspecified'],
  ['::1/128', '::1', 'loopback'],
  ['::/96', '::ffff:ffff', 'IPv4-compatible'],
  ['64:ff9b::/96', '64:ff9b::ffff:ffff', 'NAT64'],
  ['64:ff9b:1::/48', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'NAT64 local-use'],
  ['100::/64', '100::ffff:ffff:ffff:ffff', 'discard-only'],
  ['2001::/32', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'Teredo'],
  ['2001::/23', '2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'IETF protocol assignments'],
  ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['2002::/16', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '6to4'],
  ['3fff::/20', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['fc00::/7', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local'],
  ['fe80::/10', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local'],
  ['fec0::/10', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local'],
  ['ff00::/8', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast'],
];

describe('the explicit list on its own', () => {
  it.each(LISTED)('when %s is probed at %s, then the list refuses it as "%s"', (_range, address, name) => {
    expect(opinions.listed(address)).toBe(name);
  });

  it.each(['4000::1', '5f00::1', '8000::1'])('when %s lies outside 2000::/3, then the list refuses it', (address) => {
    expect(opinions.listed(address)).toBe('outside IPv6 global unicast');
  });

  it('when ipaddr.js calls an address unicast (IPv4-compatible ::7f00:1), then the list alone refuses it', () => {
    expect(opinions.library('::7f00:1')).toBeUndefined();
    expect(opinions.listed('::7f00:1')).toBe('IPv4-compatible');
    expect(nonPublicRange('::7f00:1')).toBe('IPv4-compatible');
  });

  it.each(['8.8.8.8', '2606:4700:4700::1111', '2620:4f:8000::1'])('when %s is in no listed range, then the list lets it through', (address) => {
    expect(opinions.listed(address)).toBeUndefined();
  });
});

describe("ipaddr.js's classification on its own", () => {
  it.each([
    ['2620:4f:8000::1', 'as112v6'],
    ['2620:4f:8000:ffff:ffff:ffff:ffff:ffff', 'as112v6'],
  ])('when %s (AS112, not in the list) is checked, then only ipaddr.js refuses it, and that suffices', (address, range) => {
    expect(opinions.listed(address)).toBeUndefined();
    expect(opinions.library(address)).toBe(range);
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['192.88.99.1', 'reserved'],
    ['fe80::1', 'linkLocal'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'deprecatedOrchid'],
    ['2001:20::1', 'orchid2'],
    ['3fff::1', 'reserved'],
  ])('when %s is checked, then ipaddr.js refuses it too (as %s), independently of the list', (address, range) => {
    expect(opinions.library(address)).toBe(range);
  });

  it.each(['8.8.8.8', '2606:4700:4700::1111'])('when %s is public, then ipaddr.js lets it through', (address) => {
    expect(opinions.library(address)).toBeUndefined();
  });

  it('when the input is not an address, then both opinions refuse it', () => {
    expect(opinions.listed('example.com')).toBe('not an IP address');
    expect(opinions.library('example.com')).toBe('not an IP address');
  });
});
