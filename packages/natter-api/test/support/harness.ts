import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import pino from 'pino';
import supertest from 'supertest';
import { createApp, type AppDeps } from '../../src/app.js';
import { parseConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/context.js';
import type { Database } from '../../src/db/database.js';
import { createLinkPreviewClient, type LinkPreviewClient } from '../../src/link-preview/client.js';
import { scryptPasswordHashing } from '../../src/security/password-hashing.js';
import { createTokenService } from '../../src/security/tokens.js';

/** The Host every test request sends; the allowlist contains only this (and a second name). */
export const HOST = 'api.natter.test';
export const OTHER_ALLOWED_HOST = 'natter-api-service:4567';

/** A clock tests can move forward to make tokens expire. */
export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let offset = 0;
  return { now: () => new Date(start + offset), advance: (ms) => void (offset += ms) };
}

/** Cheap scrypt for tests (same code path, lower N); production cost is covered in its own test. */
export const fastHashing = scryptPasswordHashing({ N: 1024, r: 8, p: 1 });

/** A config as the chart would give it, with generous rate limits unless a test lowers them. */
export function testConfig(env: Record<string, string> = {}): Config {
  const config = parseConfig({
    ALLOWED_HOSTS: `${HOST},${OTHER_ALLOWED_HOST}`,
    RATE_LIMIT_GLOBAL_PER_SECOND: '100000',
    RATE_LIMIT_PER_ADDRESS_PER_SECOND: '100000',
    RATE_LIMIT_PER_USER_PER_SECOND: '100000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  return { ...config, hmacKey: randomBytes(32) };
}

export interface TestApp {
  /** supertest agent sending `Host: api.natter.test` by default. */
  readonly http: supertest.Agent;
  readonly clock: TestClock;
  readonly config: Config;
  readonly linkPreviews: LinkPreviewClient;
  readonly server: Server;
  /** Waits for audit rows still being written after their responses. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh app (own rate-limit buckets, caches, clock, key) on a loopback server, port 0. */
export async function startApp(
  db: Database,
  options: { env?: Record<string, string>; clock?: TestClock; deps?: Partial<AppDeps> } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
  const clock = options.clock ?? testClock();
  const logger = pino({ level: 'silent' });
  const linkPreviews = createLinkPreviewClient({ ...config.linkPreview, baseUrl: config.linkPreview.url, logger, clock });
  const app = createApp({
    config,
    db,
    logger,
    clock,
    passwordHashing: fastHashing,
    tokens: createTokenService(config.hmacKey!),
    linkPreviews,
    ...options.deps,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const http = supertest.agent(server).set('Host', HOST);
  return {
    http,
    clock,
    config,
    linkPreviews: options.deps?.linkPreviews ?? linkPreviews,
    server,
    settled: () => app.settled(),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await app.settled();
    },
  };
}

/** A name no other test uses (letters and digits, starts with a letter, ≤ 30 characters). */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}${randomBytes(8).toString('hex')}`.slice(0, 30);
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export const PASSWORD = 'correct horse battery staple';

/** Registers a user and returns its Basic header. */
export async function registerUser(app: TestApp, username = uniqueName()): Promise<{ username: string; auth: string }> {
  const response = await app.http.post('/users').send({ username, password: PASSWORD });
  if (response.status !== 201) throw new Error(`registering ${username} failed: ${response.status} ${response.text}`);
  return { username, auth: basic(username, PASSWORD) };
}

export interface SpaceUris {
  readonly id: number;
  readonly uri: string;
  readonly 'messages-rwd': string;
  readonly 'messages-rw': string;
  readonly 'messages-r': string;
}

export async function createSpace(app: TestApp, owner: { username: string; auth: string }, name = uniqueName('space')): Promise<SpaceUris> {
  const response = await app.http.post('/spaces').set('Authorization', owner.auth).send({ name, owner: owner.username });
  if (response.status !== 201) throw new Error(`creating space failed: ${response.status} ${response.text}`);
  return { ...response.body, id: Number(/\/spaces\/(\d+)/.exec(response.body.uri)![1]) };
}

export async function postMessage(app: TestApp, owner: { username: string; auth: string }, capability: string, message: string): Promise<{ uri: string; 'read-only': string }> {
  const response = await app.http.post(capability).set('Authorization', owner.auth).send({ author: owner.username, message });
  if (response.status !== 201) throw new Error(`posting failed: ${response.status} ${response.text}`);
  return response.body;
}

/** The contract's security headers, asserted on every kind of response. */
export function expectSecurityHeaders(response: { headers: Record<string, string | undefined> }, expect: (value: unknown) => { toBe(v: unknown): void; toBeUndefined(): void }): void {
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['x-xss-protection']).toBe('0');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
  expect(response.headers['server']).toBeUndefined();
  expect(response.headers['x-powered-by']).toBeUndefined();
}
