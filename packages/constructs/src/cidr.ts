// Internal: CIDR validation for NetworkPolicy ipBlocks (the API server rejects host bits).
import { isIP } from 'node:net';

/** The address as an unsigned integer (32 bits for IPv4, 128 for IPv6). */
export function addressToBigInt(address: string): bigint {
  if (isIP(address) === 4) {
    return address.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(octet), 0n);
  }
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return groups.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n);
}

/** Throws unless `cidr` is `address/prefix` with no host bits set, e.g. `192.168.49.0/24`. */
export function assertCidr(cidr: string): void {
  const [address = '', prefix = '', ...rest] = cidr.split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const length = Number(prefix);
  const valid =
    rest.length === 0 &&
    family !== 0 &&
    !(family === 6 && address.includes('.')) && // embedded dotted IPv4: write it in hex
    /^\d{1,3}$/.test(prefix) &&
    length <= bits;
  if (!valid) {
    throw new Error(`'${cidr}' is not a CIDR; pass an IPv4 or IPv6 network such as '192.168.49.0/24' or 'fd00::/8'`);
  }
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  if ((addressToBigInt(address) & hostMask) !== 0n) {
    throw new Error(`CIDR '${cidr}' has host bits set; pass the network address of the /${length} instead`);
  }
}
