/** IPv4/IPv6 addresses and CIDR blocks as bigints, for exact `ipBlock` evaluation. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let body = text;
  // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two 16-bit groups.
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    body = `${body.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (half: string): bigint[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':');
    if (groups.some((group) => !/^[0-9a-f]{1,4}$/i.test(group))) return undefined;
    return groups.map((group) => BigInt(`0x${group}`));
  };
  const head = toGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const groups = [...head, ...Array<bigint>(8 - explicit).fill(0n), ...rest];
  return groups.reduce((value, group) => (value << 16n) | group, 0n);
}

export function parseAddress(text: string): ParsedAddress {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIPv6(text) : undefined;
  if (v6 !== undefined) return { family: 6, value: v6 };
  throw new Error(`not an IP address: ${JSON.stringify(text)}`);
}

/** True when `address` lies inside `cidr` (same family only, as Kubernetes evaluates ipBlock). */
export function cidrContains(cidr: string, address: string): boolean {
  const [base, prefixText] = cidr.split('/');
  if (base === undefined || prefixText === undefined || !/^\d+$/.test(prefixText)) {
    throw new Error(`not a CIDR: ${JSON.stringify(cidr)}`);
  }
  const network = parseAddress(base);
  const target = parseAddress(address);
  const bits = network.family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (prefix > bits) throw new Error(`CIDR prefix out of range: ${cidr}`);
  if (network.family !== target.family) return false;
  const shift = BigInt(bits - prefix);
  return network.value >> shift === target.value >> shift;
}
