import type { Manifest } from '@natter/kube-check';
import { describe, expect, it } from 'vitest';
import { ALL_VARIANTS, clusterModel, manifestsOf, variantName } from './natter-cluster.js';

/**
 * The source of truth for these tests, written out independently of the chart and of
 * @natter/constructs: every IANA special-purpose block that is not globally reachable (RFC 6890
 * registries), plus the IPv6 prefixes that embed an IPv4 address. Each comes with its first and
 * last address; link-preview must reach neither, so dropping (or narrowing) any one exception from
 * its egress policy, or from the list the policy is built from, fails here.
 */
const NOT_PUBLIC: ReadonlyArray<readonly [range: string, first: string, last: string]> = [
  ['0.0.0.0/8', '0.0.0.0', '0.255.255.255'],
  ['10.0.0.0/8', '10.0.0.0', '10.255.255.255'],
  ['100.64.0.0/10', '100.64.0.0', '100.127.255.255'],
  ['127.0.0.0/8', '127.0.0.0', '127.255.255.255'],
  ['169.254.0.0/16', '169.254.0.0', '169.254.255.255'],
  ['172.16.0.0/12', '172.16.0.0', '172.31.255.255'],
  ['192.0.0.0/24', '192.0.0.0', '192.0.0.255'],
  ['192.0.2.0/24', '192.0.2.0', '192.0.2.255'],
  ['192.88.99.0/24', '192.88.99.0', '192.88.99.255'],
  ['192.168.0.0/16', '192.168.0.0', '192.168.255.255'],
  ['198.18.0.0/15', '198.18.0.0', '198.19.255.255'],
  ['198.51.100.0/24', '198.51.100.0', '198.51.100.255'],
  ['203.0.113.0/24', '203.0.113.0', '203.0.113.255'],
  ['224.0.0.0/4', '224.0.0.0', '239.255.255.255'],
  ['240.0.0.0/4', '240.0.0.0', '255.255.255.255'],
  ['::/96', '::', '::ffff:ffff'],
  ['::1/128', '::1', '::1'],
  ['::ffff:0:0/96', '::ffff:0:0', '::ffff:ffff:ffff'],
  ['64:ff9b::/96', '64:ff9b::', '64:ff9b::ffff:ffff'],
  ['64:ff9b:1::/48', '64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'],
  ['100::/64', '100::', '100::ffff:ffff:ffff:ffff'],
  ['2001::/32', '2001::', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:2::/48', '2001:2::', '2001:2:0:ffff:ffff:ffff:ffff:ffff'],
  ['2001:10::/28', '2001:10::', '2001:1f:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:20::/28', '2001:20::', '2001:2f:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2002::/16', '2002::', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['3fff::/20', '3fff::', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fc00::/7', 'fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fe80::/10', 'fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fec0::/10', 'fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['ff00::/8', 'ff00::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
];

/** Public addresses right next to some of the blocks: the exceptions must not swallow them. */
const PUBLIC_NEIGHBOURS = ['192.88.98.255', '192.88.100.0', '198.17.255.255', '198.20.0.0', '2001:1::1', '2001:30::1', '3fff:1000::1', '2003::1'];

const egress = (policy: Manifest): Array<{ ports?: Array<{ port?: number; protocol?: string }> }> =>
  ((policy.spec as { egress?: unknown[] } | undefined)?.egress ?? []) as Array<{ ports?: Array<{ port?: number }> }>;

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('egress to the public internet (%s)', (_, profile) => {
  const objects = manifestsOf(profile);
  const { evaluator, pods } = clusterModel(objects, profile);
  const linkPreview = pods['natter-link-preview']!;
  const reach = (address: string, port: number): boolean => evaluator.isAllowed(linkPreview, { kind: 'ip', ip: address }, { port });

  it.each(NOT_PUBLIC)('keeps link-preview out of %s (first %s, last %s) on 80 and 443', (_range, first, last) => {
    for (const address of [first, last]) {
      for (const port of [80, 443]) expect(reach(address, port), `${address}:${port}`).toBe(false);
    }
  });

  it('lets link-preview reach the public addresses next to those blocks', () => {
    for (const address of PUBLIC_NEIGHBOURS) expect(reach(address, 443), address).toBe(true);
  });

  it('declares every DNS egress policy as Egress only, explicitly', () => {
    const dnsPolicies = objects.filter(
      (object) => object.kind === 'NetworkPolicy' && egress(object).some((rule) => rule.ports?.some((port) => port.port === 53)),
    );
    // One per workload: the database, the migration, the API and link-preview.
    expect(dnsPolicies.length).toBeGreaterThanOrEqual(4);
    for (const policy of dnsPolicies) {
      expect((policy.spec as { policyTypes?: string[] }).policyTypes, policy.metadata?.name).toEqual(['Egress']);
    }
  });
});
