import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Address space that is never a public web server. ipaddr.js's own `range()` misses some of these
 * (it calls `::7f00:1` unicast, and versions before 2.4 also fec0::/10 and 64:ff9b:1::/48), so the
 * list is explicit and `range()` is only a second opinion.
 */
const BLOCKED_IPV4: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.31.196.0/24', 'AS112'],
  ['192.52.193.0/24', 'AMT'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['192.175.48.0/24', 'AS112'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
];

/** Only 2000::/3 is allocated global unicast: IPv6 outside it is refused even when no listed range names it. */
const GLOBAL_UNICAST_IPV6 = ipaddr.parseCIDR('2000::/3');

const BLOCKED_IPV6: ReadonlyArray<readonly [string, string]> = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'IPv4-compatible'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'NAT64 local-use'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'Teredo'],
  ['2001::/23', 'IETF protocol assignments'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

interface NamedRange {
  readonly cidr: Cidr;
  readonly name: string;
}

const named = (ranges: ReadonlyArray<readonly [string, string]>): NamedRange[] =>
  ranges.map(([cidr, name]) => ({ cidr: ipaddr.parseCIDR(cidr), name }));

const BLOCKED_RANGES = { ipv4: named(BLOCKED_IPV4), ipv6: named(BLOCKED_IPV6) };

/** Parses and unwraps IPv4-mapped IPv6 (`::ffff:a.b.c.d`), which reaches the embedded IPv4 address. */
function parseUnwrapped(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed;
}

function matches(address: ipaddr.IPv4 | ipaddr.IPv6, cidr: Cidr): boolean {
  return address.kind() === cidr[0].kind() && address.match(cidr);
}

function listed(address: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  const list = address.kind() === 'ipv4' ? BLOCKED_RANGES.ipv4 : BLOCKED_RANGES.ipv6;
  const hit = list.find((range) => matches(address, range.cidr));
  if (hit !== undefined) return hit.name;
  if (address.kind() === 'ipv6' && !matches(address, GLOBAL_UNICAST_IPV6)) return 'outside IPv6 global unicast';
  return undefined;
}

function classifiedByLibrary(address: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  const range = address.range();
  return range === 'unicast' ? undefined : range;
}

/**
 * The two opinions {@link nonPublicRange} combines, exported each on its own so a test can tell
 * that each still refuses what only it refuses (the list: `::7f00:1`; ipaddr.js: AS112
 * `2620:4f:8000::/48`) — refusing with either one would otherwise hide a hole in the other.
 */
export const opinions = {
  /** The explicit list above (and IPv6 outside `2000::/3`). */
  listed: (address: string): string | undefined => withParsed(address, listed),
  /** ipaddr.js's `range()`, when it is anything but `unicast`. */
  library: (address: string): string | undefined => withParsed(address, classifiedByLibrary),
} as const;

function withParsed(address: string, classify: (parsed: ipaddr.IPv4 | ipaddr.IPv6) => string | undefined): string | undefined {
  const parsed = parseUnwrapped(address);
  return parsed === undefined ? 'not an IP address' : classify(parsed);
}

/**
 * Why `address` is not a public unicast address, or `undefined` when it is: refused when either the
 * explicit list or ipaddr.js says so. The name is for logs only; callers must not send it to a client.
 */
export function nonPublicRange(address: string): string | undefined {
  return withParsed(address, (parsed) => listed(parsed) ?? classifiedByLibrary(parsed));
}

/**
 * Decides which addresses the previewer may connect to: public unicast only, plus — for tests that
 * run fixture servers on loopback — explicitly passed fixture ranges.
 */
export class AddressPolicy {
  private readonly fixtureRanges: readonly Cidr[];

  constructor(fixtureRanges: readonly string[] = []) {
    this.fixtureRanges = fixtureRanges.map((range) => {
      if (!ipaddr.isValidCIDR(range)) throw new Error(`allowedFixtureRanges: "${range}" is not a CIDR range`);
      return ipaddr.parseCIDR(range);
    });
  }

  /** The reason `address` is refused, or `undefined` when connecting to it is allowed. */
  refusal(address: string): string | undefined {
    const reason = nonPublicRange(address);
    if (reason === undefined) return undefined;
    const parsed = parseUnwrapped(address);
    if (parsed !== undefined && this.fixtureRanges.some((range) => matches(parsed, range))) return undefined;
    return reason;
  }
}
