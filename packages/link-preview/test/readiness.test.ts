import { createSocket, type Socket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.js';
import { createLinkPreviewer, type HostLookup } from '../src/preview/index.js';
import { dnsReadiness } from '../src/readiness.js';
import { captureLogger } from './support/capture-logger.js';
import { answersFrom, startDnsServer, type LoopbackDnsServer } from './support/dns-server.js';

const HOST = 'natter-link-preview-service:4567';
const SERVICE_NAME = 'natter-link-preview-service.natter-api.svc.cluster.local';
const config = { allowedHosts: [HOST], maxConcurrency: 4 };

/** A DNS server on loopback that receives every question and answers none. */
async function silentDnsServer(): Promise<{ lookup: HostLookup; socket: Socket }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const resolver = new dns.Resolver({ timeout: 3000, tries: 1 });
  resolver.setServers([`127.0.0.1:${socket.address().port}`]);
  return { socket, lookup: async (name) => (await resolver.resolve4(name)).map((address) => ({ address, family: 4 as const })) };
}

describe('liveness and readiness', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function appWith(lookup: HostLookup, { host }: { host: string | undefined } = { host: SERVICE_NAME }) {
    const previewer = createLinkPreviewer();
    cleanups.push(() => previewer.close());
    const { logger, lines } = captureLogger();
    const app = createApp(config, { previewer, logger, readiness: dnsReadiness({ host, lookup, timeoutMs: 500 }) });
    return { agent: request(app.callback()), lines };
  }
  async function dnsServer(table: Record<string, string[]>): Promise<LoopbackDnsServer> {
    const server = await startDnsServer(answersFrom(table));
    cleanups.push(() => server.close());
    return server;
  }

  it('when the resolver answers for the service name, then /ready and /health are 200', async () => {
    const server = await dnsServer({ [SERVICE_NAME]: ['10.96.0.12'] });
    const { agent } = appWith(server.lookup);
    const ready = await agent.get('/ready').set('Host', HOST);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok' });
    expect(server.resolutions(SERVICE_NAME)).toBe(1);
    expect((await agent.get('/health').set('Host', HOST)).body).toEqual({ status: 'ok' });
  });

  it('when the resolver knows no such name, then /ready is 503 and logged, while /health stays 200', async () => {
    const server = await dnsServer({});
    const { agent, lines } = appWith(server.lookup);
    const ready = await agent.get('/ready').set('Host', HOST);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 503, error: 'not ready' });
    expect(ready.headers['retry-after']).toBe('1');
    expect(ready.headers['x-content-type-options']).toBe('nosniff');
    expect(lines()).toContainEqual(expect.objectContaining({ level: 'warn', event: 'not_ready', reason: 'DNS lookup failed' }));
    expect((await agent.get('/health').set('Host', HOST)).status).toBe(200);
  });

  it('when the resolver does not answer, then /ready is 503 within its timeout, while /health answers without asking it', async () => {
    const silent = await silentDnsServer();
    let lookups = 0;
    const counted: HostLookup = (name) => {
      lookups += 1;
      return silent.lookup(name);
    };
    cleanups.push(() => new Promise<void>((resolve) => silent.socket.close(() => resolve())));
    const { agent, lines } = appWith(counted);

    expect((await agent.get('/health').set('Host', HOST)).status).toBe(200);
    expect(lookups).toBe(0);

    const started = performance.now();
    // Concurrent probes share the one lookup in flight instead of starting one each.
    const probes = Promise.all([1, 2, 3].map(() => agent.get('/ready').set('Host', HOST).then((response) => response)));
    await vi.waitFor(() => expect(lookups).toBe(1));
    // Liveness answers while readiness still waits for the resolver.
    expect((await agent.get('/health').set('Host', HOST)).status).toBe(200);
    expect((await probes).map((probe) => probe.status)).toEqual([503, 503, 503]);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(lookups).toBe(1);
    expect(lines()).toContainEqual(expect.objectContaining({ event: 'not_ready', reason: 'DNS lookup timed out' }));
  });

  it('when no name is configured, then /ready is 200 without any DNS question', async () => {
    const server = await dnsServer({});
    const { agent } = appWith(server.lookup, { host: undefined });
    expect((await agent.get('/ready').set('Host', HOST)).status).toBe(200);
    expect(server.queries).toEqual([]);
  });

  it('when /ready is asked with a foreign Host, then 400 before anything is resolved', async () => {
    const server = await dnsServer({ [SERVICE_NAME]: ['10.96.0.12'] });
    const { agent } = appWith(server.lookup);
    expect((await agent.get('/ready').set('Host', 'evil.example')).status).toBe(400);
    expect(server.queries).toEqual([]);
  });
});
