import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The replicas are the Natter API's own production modules, configured from the chart's env.
import { createApp } from '../../packages/natter-api/src/app.js';
import { parseConfig } from '../../packages/natter-api/src/config.js';
import type { Database } from '../../packages/natter-api/src/db/database.js';
import { createEmbeddedDatabase } from '../../packages/natter-api/src/db/embedded.js';
import { migrate } from '../../packages/natter-api/src/db/migrations.js';
import { createLogger } from '../../packages/service-kit/src/logger.js';
import type { NatterProfile } from '../src/profiles.js';
import { burstOf } from '../src/rate-limit-settings.js';
import { PROFILES, env, manifestsOf, templateNamed } from './natter-cluster.js';

/**
 * The service-wide rates hold across replicas: N instances of the Natter API, each a real HTTP
 * server on loopback configured with exactly the RATE_LIMIT_* environment the chart gives a replica
 * (sharing one database, as replicas do), and clients bound to their own 127.0.0.x addresses
 * spreading requests over them at random, as fast as they can, for a window. Together the
 * instances must admit no more than the configured rate over the window plus the configured burst
 * — globally and per client address — however the requests were spread.
 */

const REPLICAS = 3;
const HOST = 'api.natter.local';
const GLOBAL = { perSecond: 6, burst: 6 };
const PER_ADDRESS = { perSecond: 3, burst: 3 };
const CLIENTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const WINDOW_MS = 2500;
const IN_FLIGHT_PER_CLIENT = 3;

const base = PROFILES.at(-1)!;
const profile: NatterProfile = {
  ...base,
  api: { ...base.api, replicas: REPLICAS, rateLimit: { ...base.api.rateLimit, global: GLOBAL, perAddress: PER_ADDRESS } },
};
const template = templateNamed(manifestsOf(profile), 'natter-api');
const rateLimitEnv = Object.fromEntries(
  (template.spec.containers[0]!.env ?? []).filter((variable) => variable.name.startsWith('RATE_LIMIT_')).map((variable) => [variable.name, variable.value!]),
);

let database: Database;
const servers: Server[] = [];
beforeAll(async () => {
  const embedded = await createEmbeddedDatabase();
  await migrate(embedded.owner, { apiUser: 'natter_api_user' });
  await embedded.actAs('natter_api_user');
  database = embedded.db;
  const config = { ...parseConfig({ ALLOWED_HOSTS: HOST, LOG_LEVEL: 'silent', ...rateLimitEnv }), hmacKey: randomBytes(32) };
  for (let index = 0; index < REPLICAS; index += 1) {
    const app = createApp({ config, db: database, logger: createLogger({ name: `natter-api-${index}`, level: 'silent' }) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    servers.push(server);
  }
}, 180_000);
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  await database?.close();
});

function get(server: Server, from: string): Promise<number> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: '/nowhere', localAddress: from, headers: { Host: HOST } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe(`${REPLICAS} replicas with the chart's per-replica shares`, () => {
  it('are each configured with a share, and the shares add up to no more than the service-wide rates', () => {
    expect(Number(env(template, 'RATE_LIMIT_GLOBAL_PER_SECOND')) * REPLICAS).toBeLessThanOrEqual(GLOBAL.perSecond);
    expect(Number(env(template, 'RATE_LIMIT_PER_ADDRESS_BURST')) * REPLICAS).toBeLessThanOrEqual(burstOf(PER_ADDRESS));
  });

  it('admit together no more than the configured global and per-address rates, however requests are spread', async () => {
    const admitted = new Map<string, number>(CLIENTS.map((client) => [client, 0]));
    const sent = new Map<string, number>(CLIENTS.map((client) => [client, 0]));
    let rejected = 0;
    const started = performance.now();
    const deadline = started + WINDOW_MS;
    await Promise.all(
      CLIENTS.flatMap((client) =>
        Array.from({ length: IN_FLIGHT_PER_CLIENT }, async () => {
          while (performance.now() < deadline) {
            const status = await get(servers[Math.floor(Math.random() * servers.length)]!, client);
            sent.set(client, sent.get(client)! + 1);
            if (status === 404) admitted.set(client, admitted.get(client)! + 1);
            else if (status === 429) rejected += 1;
            else throw new Error(`unexpected status ${status}`);
          }
        }),
      ),
    );
    // Every admitted request was answered within [started, now]: no instance refilled for longer.
    const seconds = (performance.now() - started) / 1000;
    const total = [...admitted.values()].reduce((sum, count) => sum + count, 0);
    expect(total, `admitted ${total} in ${seconds.toFixed(2)} s`).toBeLessThanOrEqual(Math.floor(GLOBAL.perSecond * seconds + GLOBAL.burst));
    const perAddressBound = Math.floor(PER_ADDRESS.perSecond * seconds + PER_ADDRESS.burst);
    for (const [client, count] of admitted) {
      expect(count, `${client} admitted ${count} in ${seconds.toFixed(2)} s`).toBeLessThanOrEqual(perAddressBound);
      // Which client wins the shared global budget is chance (one may get none of it), but every
      // client must have asked for more than its own limit, or the bound above proved nothing.
      expect(sent.get(client), `${client} sent`).toBeGreaterThan(perAddressBound);
    }
    // The load exceeded the service-wide limit, so the bounds above are what the split enforced
    // (instances each given the whole rate let through about REPLICAS times as much: the bounds fail).
    expect(rejected, 'some requests were refused').toBeGreaterThan(0);
    expect(total + rejected, `sent ${total + rejected}`).toBeGreaterThan(GLOBAL.perSecond * seconds + GLOBAL.burst);
  }, 60_000);
});
