import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLinkPreviewer, PreviewError, type LinkPreviewer } from '../src/preview/index.js';
import { startDnsServer, type LoopbackDnsServer } from './support/dns-server.js';
import { html, startFixture, type FixtureServer } from './support/fixture-server.js';
import { captureLogger } from './support/capture-logger.js';
import { guardNetwork } from './support/network-guard.js';

/** One sample address from every range the issue lists, with the range it stands for. */
const BLOCKED_IPV4: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network" 0/8'],
  ['10.1.2.3', 'private 10/8'],
  ['100.64.0.1', 'CGNAT 100.64/10'],
  ['100.127.255.254', 'CGNAT 100.64/10 (top)'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback (top of 127/8)'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['172.16.0.1', 'private 172.16/12'],
  ['172.31.255.254', 'private 172.16/12 (top)'],
  ['192.0.0.9', 'IETF protocol assignments 192.0.0/24'],
  ['192.0.2.1', 'documentation TEST-NET-1'],
  ['192.31.196.1', 'AS112 192.31.196/24'],
  ['192.52.193.1', 'AMT 192.52.193/24'],
  ['192.88.99.1', '6to4 relay anycast'],
  ['192.175.48.1', 'AS112 192.175.48/24'],
  ['192.168.1.1', 'private 192.168/16'],
  ['198.18.0.1', 'benchmarking 198.18/15'],
  ['198.19.255.254', 'benchmarking 198.18/15 (top)'],
  ['198.51.100.1', 'documentation TEST-NET-2'],
  ['203.0.113.1', 'documentation TEST-NET-3'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['240.0.0.1', 'reserved 240/4'],
  ['255.255.255.255', 'broadcast'],
];

const BLOCKED_IPV6: ReadonlyArray<readonly [string, string]> = [
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::7f00:1', 'IPv4-compatible ::/96 (ipaddr.js 2.5 calls it unicast)'],
  ['::a00:1', 'IPv4-compatible ::/96 embedding 10.0.0.1'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped link-local (hex form)'],
  ['::ffff:0:7f00:1', 'IPv4-translated ::ffff:0:0:0/96'],
  ['64:ff9b::a00:1', 'NAT64 64:ff9b::/96'],
  ['64:ff9b:1::1', 'NAT64 local-use 64:ff9b:1::/48'],
  ['100::1', 'discard-only 100::/64'],
  ['2001::1', 'Teredo 2001::/32'],
  ['2001:2::1', 'benchmarking 2001:2::/48'],
  ['2001:4:112::1', 'AS112 2001:4:112::/48'],
  ['2001:10::1', 'ORCHID 2001:10::/28'],
  ['2001:20::1', 'ORCHIDv2 2001:20::/28'],
  ['2620:4f:8000::1', 'AS112 2620:4f:8000::/48 (in 2000::/3 and in no listed range: refused by ipaddr.js alone)'],
  ['2001:db8::1', 'documentation 2001:db8::/32'],
  ['2002:7f00:1::1', '6to4 2002::/16'],
  ['3fff::1', 'documentation 3fff::/20'],
  ['fc00::1', 'unique-local fc00::/7'],
  ['fd12:3456:789a::1', 'unique-local fd00::/8'],
  ['fe80::1', 'link-local'],
  ['fec0::1', 'site-local fec0::/10'],
  ['ff02::1', 'multicast'],
  ['4000::1', 'outside global unicast 2000::/3'],
];

/** Other spellings of loopback that URL parsing normalises to an IPv4 literal. */
const LOOPBACK_SPELLINGS = [
  'http://2130706433/',
  'http://0x7f.0.0.1/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://127.0.0.1./',
  'http://%31%32%37.0.0.1/',
  'http://0/',
  'http://[::ffff:7f00:1]/',
  'http://[0:0:0:0:0:0:0:1]/',
];

const literalUrl = (address: string): string => (address.includes(':') ? `http://[${address}]/` : `http://${address}/`);
const hostFor = (address: string): string => `blocked-${address.replace(/[.:]/g, '-')}.test`;

async function refusal(previewer: LinkPreviewer, url: string): Promise<PreviewError> {
  const error = await previewer.preview(url).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PreviewError);
  return error as PreviewError;
}

describe('blocked destinations', () => {
  let network: ReturnType<typeof guardNetwork>;
  let dns: LoopbackDnsServer;
  let previewer: LinkPreviewer;
  const table: Record<string, string[]> = {};

  beforeAll(async () => {
    for (const [address] of [...BLOCKED_IPV4, ...BLOCKED_IPV6]) table[hostFor(address)] = [address];
    dns = await startDnsServer((name, type) => {
      const addresses = table[name];
      return addresses?.filter((address) => (type === 'A') === !address.includes(':'));
    });
    network = guardNetwork();
    previewer = createLinkPreviewer({ lookup: dns.lookup });
  });
  afterEach(() => expect(network.takeAttempts()).toEqual([]));
  afterAll(async () => {
    previewer.close();
    network.restore();
    await dns.close();
  });

  describe.each([...BLOCKED_IPV4, ...BLOCKED_IPV6])('%s (%s)', (address) => {
    it('when given as a literal, then 400 without resolving or connecting', async () => {
      const queriesBefore = dns.queries.length;
      const error = await refusal(previewer, literalUrl(address));
      expect(error.status).toBe(400);
      expect(error.reason).toBe('destination not allowed');
      expect(dns.queries.length).toBe(queriesBefore);
    });

    it('when a name resolves to it, then 400 after resolving and without connecting', async () => {
      const host = hostFor(address);
      const error = await refusal(previewer, `http://${host}/`);
      expect(error.status).toBe(400);
      expect(error.reason).toBe('destination not allowed');
      expect(error.message).not.toContain(address);
      expect(dns.resolutions(host)).toBe(1);
    });
  });

  it.each(LOOPBACK_SPELLINGS)('when loopback is spelled %s, then 400 without connecting', async (url) => {
    expect((await refusal(previewer, url)).status).toBe(400);
  });
});

describe('the connect guard used above', () => {
  let fixture: FixtureServer;
  let dns: LoopbackDnsServer;

  beforeAll(async () => {
    fixture = await startFixture(html('<title>ok</title>'));
    dns = await startDnsServer((name, type) => (name === 'fixture.test' && type === 'A' ? ['127.0.0.1'] : []));
  });
  afterAll(async () => {
    await fixture.close();
    await dns.close();
  });

  it('when a connection is allowed, then it sees the resolved address (so an empty record means no connect)', async () => {
    const network = guardNetwork();
    const previewer = createLinkPreviewer({ lookup: dns.lookup, allowedFixtureRanges: ['127.0.0.1/32'], allowedPorts: [fixture.port] });
    try {
      const preview = await previewer.preview(`http://fixture.test:${fixture.port}/`);
      expect(preview.title).toBe('ok');
      expect(network.attempts).toEqual([{ address: '127.0.0.1', port: fixture.port }]);
    } finally {
      previewer.close();
      network.restore();
    }
  });
});

describe('audit trail of refusals', () => {
  it('when a destination is refused, then the log names the host, address and range while the error does not', async () => {
    const dns = await startDnsServer((name, type) => (type === 'A' ? ['169.254.169.254'] : []));
    const network = guardNetwork();
    const { logger, lines } = captureLogger();
    const previewer = createLinkPreviewer({ lookup: dns.lookup, logger });
    try {
      const error = await refusal(previewer, 'http://metadata.test/');
      expect(JSON.stringify(error)).not.toContain('169.254');
      expect(lines()).toContainEqual(
        expect.objectContaining({ level: 'warn', event: 'destination_refused', hostname: 'metadata.test', address: '169.254.169.254', range: 'link-local' }),
      );
      expect(network.attempts).toEqual([]);
    } finally {
      previewer.close();
      network.restore();
      await dns.close();
    }
  });
});

describe('IPv6 fixtures', () => {
  it('when ::1 is explicitly allowed, then an IPv6 literal and an AAAA-only name are fetched over IPv6', async () => {
    const fixture = await startFixture(html('<title>six</title>'), { host: '::1' });
    const dns = await startDnsServer((name, type) => (type === 'AAAA' ? ['::1'] : []));
    const network = guardNetwork();
    const previewer = createLinkPreviewer({ lookup: dns.lookup, allowedFixtureRanges: ['::1/128'], allowedPorts: [fixture.port] });
    try {
      expect((await previewer.preview(`http://[::1]:${fixture.port}/`)).title).toBe('six');
      expect((await previewer.preview(`http://six.test:${fixture.port}/`)).title).toBe('six');
      expect(network.attempts.map((attempt) => attempt.address)).toEqual(['::1', '::1']);
    } finally {
      previewer.close();
      network.restore();
      await fixture.close();
      await dns.close();
    }
  });
});
