import './support/timeouts.js';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HOST, type TestApp } from './support/harness.js';
import { useAppsPerTest, useTestDatabase } from './support/lifecycle.js';

/**
 * The client address from the outside: a real server on 127.0.0.1, clients bound to other loopback
 * addresses standing for the peers (127.0.0.2 the edge, 127.0.0.3 anyone else, 127.0.0.9 the pod
 * address Linkerd's inbound proxy connects from). The per-address bucket (1 request, no refill while
 * the test clock stands still) shows which address a request was counted under: a second request
 * under the same address gets 429.
 */

const database = useTestDatabase();
const startApp = useAppsPerTest(database);

const EDGE = '127.0.0.2';
const STRANGER = '127.0.0.3';
const POD_IP = '127.0.0.9';
const EDGE_IDENTITY = 'envoy-natter-api-natter-api-gateway-a3712d86.envoy-gateway-system.serviceaccount.identity.linkerd.cluster.local';

function start(env: Record<string, string>): Promise<TestApp> {
  return startApp({ env: { RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1', RATE_LIMIT_PER_ADDRESS_BURST: '1', ...env } });
}

/** GET `path` (default /nowhere) from `from` (a local address) with these headers; resolves to the status. */
function get(app: TestApp, from: string, headers: Record<string, string> = {}, path = '/nowhere'): Promise<number> {
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, localAddress: from, path, headers: { Host: HOST, Connection: 'close', ...headers } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('client address behind a trusted proxy', () => {
  it('when the trusted edge forwards, then only the right-most untrusted X-Forwarded-For address counts, whatever the client prepended', async () => {
    const app = await start({ TRUSTED_PROXIES: EDGE });
    expect(await get(app, EDGE, { 'X-Forwarded-For': '198.51.100.7, 203.0.113.1' })).toBe(404);
    // Same right-most address, different forged prefix: the same bucket, already spent.
    expect(await get(app, EDGE, { 'X-Forwarded-For': '198.51.100.8, 203.0.113.1' })).toBe(429);
    // A forged right-most address is impossible through the edge (it appends the real one); a new client has its own bucket.
    expect(await get(app, EDGE, { 'X-Forwarded-For': '203.0.113.1, 203.0.113.2' })).toBe(404);
    // The edge's own address is not a client: with no header its requests share the edge's bucket.
    expect(await get(app, EDGE)).toBe(404);
    expect(await get(app, EDGE)).toBe(429);
  });

  it('when a chain of trusted proxies forwarded, then the address left of the last trusted hop is the client', async () => {
    const app = await start({ TRUSTED_PROXIES: `${EDGE},10.0.0.0/8` });
    expect(await get(app, EDGE, { 'X-Forwarded-For': '203.0.113.5, 10.1.1.1' })).toBe(404);
    expect(await get(app, EDGE, { 'X-Forwarded-For': '203.0.113.5' })).toBe(429);
  });

  it('when an untrusted peer sends a forged X-Forwarded-For, then it keeps its socket address', async () => {
    const app = await start({ TRUSTED_PROXIES: EDGE });
    expect(await get(app, STRANGER, { 'X-Forwarded-For': '203.0.113.3' })).toBe(404);
    // A different forged address does not buy a fresh bucket: the stranger is counted under 127.0.0.3.
    expect(await get(app, STRANGER, { 'X-Forwarded-For': '203.0.113.4' })).toBe(429);
    // …and cannot spend someone else's: the forged address's own bucket is untouched.
    expect(await get(app, EDGE, { 'X-Forwarded-For': '203.0.113.3' })).toBe(404);
  });
});

describe('client address in the audit log', () => {
  it('when requests arrive through the trusted edge and from a stranger with a forged header, then each audit row records the address the rate limit used', async () => {
    const app = await start({ TRUSTED_PROXIES: EDGE });
    const path = `/nowhere/audit-${Date.now()}`;
    expect(await get(app, EDGE, { 'X-Forwarded-For': '198.51.100.7, 203.0.113.50' }, path)).toBe(404);
    expect(await get(app, STRANGER, { 'X-Forwarded-For': '203.0.113.51' }, path)).toBe(404);
    await app.settled();
    const rows = await database().owner.query<{ client_address: string; status: number | null }>('SELECT client_address, status FROM audit_log WHERE path = $1 ORDER BY audit_id, status NULLS FIRST', [path]);
    // A start row and an end row per request, both with the resolved address.
    expect(rows.map((row) => row.client_address)).toEqual(['203.0.113.50', '203.0.113.50', STRANGER, STRANGER]);
  });
});

describe('client address behind the Linkerd proxy (peer = the pod\'s own address, identity in l5d-client-id)', () => {
  const env = { TRUSTED_PROXIES: POD_IP, TRUSTED_PROXY_IDENTITIES: EDGE_IDENTITY };

  it('when the proxy verified the edge\'s identity, then the edge\'s X-Forwarded-For counts', async () => {
    const app = await start(env);
    expect(await get(app, POD_IP, { 'X-Forwarded-For': '203.0.113.10', 'l5d-client-id': EDGE_IDENTITY })).toBe(404);
    expect(await get(app, POD_IP, { 'X-Forwarded-For': '203.0.113.11', 'l5d-client-id': EDGE_IDENTITY })).toBe(404);
    expect(await get(app, POD_IP, { 'X-Forwarded-For': '203.0.113.10', 'l5d-client-id': EDGE_IDENTITY })).toBe(429);
  });

  it('when another client came through the same proxy (an unmeshed node-port client, another identity), then its X-Forwarded-For is ignored', async () => {
    const app = await start(env);
    expect(await get(app, POD_IP, { 'X-Forwarded-For': '203.0.113.20' })).toBe(404);
    // Counted under the pod address, not under the forged one: a second forged address finds the bucket spent.
    expect(await get(app, POD_IP, { 'X-Forwarded-For': '203.0.113.21', 'l5d-client-id': 'intruder.other.serviceaccount.identity.linkerd.cluster.local' })).toBe(429);
    expect(await get(app, POD_IP, { 'X-Forwarded-For': '203.0.113.20', 'l5d-client-id': EDGE_IDENTITY })).toBe(404);
  });

  it('when a peer other than the pod address claims the edge\'s identity header, then it keeps its socket address', async () => {
    const app = await start(env);
    expect(await get(app, STRANGER, { 'X-Forwarded-For': '203.0.113.30', 'l5d-client-id': EDGE_IDENTITY })).toBe(404);
    expect(await get(app, STRANGER, { 'X-Forwarded-For': '203.0.113.31', 'l5d-client-id': EDGE_IDENTITY })).toBe(429);
  });
});
