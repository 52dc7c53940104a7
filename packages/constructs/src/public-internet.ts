/**
 * IPv4 ranges that are not public internet (IANA special-purpose registry, RFC 6890 and successors).
 * `allowPublicInternetEgress` excepts them from 0.0.0.0/0, so a workload that fetches untrusted
 * URLs cannot reach cluster, node, cloud-metadata or other private addresses through the policy.
 */
export const NON_PUBLIC_IPV4_CIDRS: readonly string[] = Object.freeze([
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // carrier-grade NAT (RFC 6598)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, incl. cloud metadata 169.254.169.254
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation TEST-NET-1
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation TEST-NET-2
  '203.0.113.0/24', // documentation TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, incl. broadcast 255.255.255.255
]);

/**
 * IPv6 ranges that are not public internet, including every range that embeds an IPv4 address
 * (which could smuggle a private IPv4 destination through an IPv6 rule).
 */
export const NON_PUBLIC_IPV6_CIDRS: readonly string[] = Object.freeze([
  '::/96', // IPv4-compatible (deprecated); covers unspecified :: and loopback ::1
  '::1/128', // loopback (listed explicitly for reviewers)
  '::ffff:0:0/96', // IPv4-mapped
  '64:ff9b::/96', // NAT64 well-known prefix
  '64:ff9b:1::/48', // NAT64 local-use
  '100::/64', // discard-only
  '2001::/32', // Teredo
  '2001:2::/48', // benchmarking
  '2001:10::/28', // ORCHID (deprecated)
  '2001:20::/28', // ORCHIDv2
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4
  '3fff::/20', // documentation (RFC 9637)
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
]);

/** Both lists: every CIDR `allowPublicInternetEgress` excludes. */
export const NON_PUBLIC_CIDRS: readonly string[] = Object.freeze([...NON_PUBLIC_IPV4_CIDRS, ...NON_PUBLIC_IPV6_CIDRS]);
