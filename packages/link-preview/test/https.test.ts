/**
 * HTTPS through the real service process: the validating lookup must not break TLS. The name stays
 * in the URL (never rewritten to an IP), so SNI and certificate verification see it; trust comes
 * from NODE_EXTRA_CA_CERTS, the standard Node setting. `localhost` resolves through /etc/hosts.
 */
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type SpawnedService } from './support/spawn-service.js';
import { createTestCa, opensslAvailable, startTlsFixture, type TestCa } from './support/tls-fixture.js';

const HOST = 'link-preview.test:4567';

function preview(service: SpawnedService, target: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(`${service.url}/preview?url=${encodeURIComponent(target)}`, { headers: { host: HOST }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    }).on('error', reject);
  });
}

describe.skipIf(!opensslAvailable())('HTTPS (needs the openssl CLI to mint a test CA)', () => {
  let ca: TestCa;
  let untrustedCa: TestCa;
  let untrusted: Awaited<ReturnType<typeof startTlsFixture>>;
  let fixture: Awaited<ReturnType<typeof startTlsFixture>>;
  let wrongName: Awaited<ReturnType<typeof startTlsFixture>>;
  let service: SpawnedService;

  beforeAll(async () => {
    ca = createTestCa();
    untrustedCa = createTestCa();
    fixture = await startTlsFixture(ca.issue('localhost'), '<head><title>over TLS</title></head>');
    wrongName = await startTlsFixture(ca.issue('someone-else.test'), '<head><title>wrong name</title></head>');
    untrusted = await startTlsFixture(untrustedCa.issue('localhost'), '<head><title>untrusted</title></head>');
    service = await startService('test/support/serve-with-fixture-allowance.ts', ['--allow-fixture-range', '127.0.0.0/8', '--allow-fixture-range', '::1/128'], {
      PORT: '0',
      ALLOWED_HOSTS: HOST,
      PREVIEW_ALLOWED_PORTS: `${fixture.port},${wrongName.port},${untrusted.port}`,
      NODE_EXTRA_CA_CERTS: ca.caFile,
      // Must not switch verification off for the previewer.
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    });
  }, 30_000);

  afterAll(async () => {
    await service?.stop();
    await fixture?.close();
    await wrongName?.close();
    await untrusted?.close();
    ca?.remove();
    untrustedCa?.remove();
  });

  it('when the page is served over HTTPS for the URL host, then it is previewed with SNI naming that host', async () => {
    const url = `https://localhost:${fixture.port}/`;
    expect(await preview(service, url)).toEqual({ status: 200, body: { url, title: 'over TLS' } });
    expect(fixture.serverNames).toContain('localhost');
  });

  it.each([
    ['is for another name', () => wrongName.port],
    ['comes from a CA that is not trusted', () => untrusted.port],
  ])('when the certificate %s, then 502 (verification is on)', async (_case, port) => {
    expect(await preview(service, `https://localhost:${port()}/`)).toEqual({
      status: 502,
      body: { status: 502, error: 'upstream connection failed' },
    });
  });
});
