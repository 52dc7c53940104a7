import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import dnsPacket from 'dns-packet';
import type { HostLookup, ResolvedAddress } from '../../src/preview/index.js';

export type RecordType = 'A' | 'AAAA';

/**
 * Decides the answer to one query: addresses (possibly none: NOERROR without data), or `undefined`
 * for NXDOMAIN. `count` is how many queries of this name and type came before (0 for the first).
 */
export type Answerer = (name: string, type: RecordType, count: number) => readonly string[] | undefined;

export interface LoopbackDnsServer {
  readonly port: number;
  /** Every question received, in order. */
  readonly queries: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  /** A previewer `lookup` that asks only this server, through Node's real resolver (c-ares). */
  readonly lookup: HostLookup;
  /** How many A queries arrived for `name`: one per resolution. */
  resolutions(name: string): number;
  close(): Promise<void>;
}

const NXDOMAIN = 3;

/** A real DNS server on 127.0.0.1 (UDP, port 0) whose answers the test controls. */
export async function startDnsServer(answer: Answerer): Promise<LoopbackDnsServer> {
  const socket = createSocket('udp4');
  const queries: Array<{ name: string; type: string }> = [];
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (question === undefined) return;
    const type = question.type;
    const name = question.name.toLowerCase();
    const count = queries.filter((seen) => seen.name === name && seen.type === type).length;
    queries.push({ name, type });
    const addresses = type === 'A' || type === 'AAAA' ? answer(name, type, count) : [];
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (addresses === undefined ? NXDOMAIN : 0),
      questions: [question],
      answers: (addresses ?? []).map((address) => ({ type, name: question.name, ttl: 0, data: address }) as dnsPacket.Answer),
    });
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;

  const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const lookup: HostLookup = async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
    const found: ResolvedAddress[] = [];
    if (v4.status === 'fulfilled') found.push(...v4.value.map((address) => ({ address, family: 4 as const })));
    if (v6.status === 'fulfilled') found.push(...v6.value.map((address) => ({ address, family: 6 as const })));
    if (found.length === 0) throw Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENODATA' });
    return found;
  };

  return {
    port,
    queries,
    lookup,
    resolutions: (name) => queries.filter((seen) => seen.name === name.toLowerCase() && seen.type === 'A').length,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** An answerer from a fixed table: `{ 'a.test': ['127.0.0.1', '::1'] }`; names not in it are NXDOMAIN. */
export function answersFrom(table: Readonly<Record<string, readonly string[]>>): Answerer {
  return (name, type) => {
    const addresses = table[name];
    if (addresses === undefined) return undefined;
    return addresses.filter((address) => (type === 'A') === !address.includes(':'));
  };
}
