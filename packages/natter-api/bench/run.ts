/**
 * `npm run bench` (packages/natter-api): GET of a message through the whole API pipeline, without
 * links, with 1 and with 3 links (cold and warm preview cache), authenticated with Basic and with
 * Bearer — each compared, in the same run, with a bare Koa + one-SELECT floor. Everything runs on
 * loopback: the API, the floor and a link-preview stub that answers after a fixed 100 ms, each as
 * its own process.
 *
 * Database: real PostgreSQL when NATTER_TEST_DATABASE_URL (or DATABASE_URL) names a superuser
 * URL — a throwaway database and roles are created and dropped — else the embedded database.
 * Tuning: BENCH_ROUNDS (3), BENCH_DURATION_SECONDS (3 per steady run), BENCH_CONNECTIONS (16),
 * BENCH_AUTH (`Bearer,Basic`: which authentications to run; `Bearer` alone skips the slow Basic scenarios).
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiEnvironment, createSecretsDirectory, ENTRIES, loopbackHosts, type PostgresConnection, request, baseEnvironment, freePort, startService, type ServiceProcess } from '@natter/process-harness';
import { runLoad, type LoadFigures } from './load.js';
import { startPreviewStub } from './preview-stub.js';
import { FLOOR_SCENARIO, formatReport, type Measurement } from './report.js';
import { createIdentity, postMessage, postMessages, textWithLinks, type BenchIdentity } from './seed.js';

// `npm run bench -- --pool-sizes`: the pool-size run instead (bench/pool-sizes.ts, README "Pool sizes").
if (process.argv.includes('--pool-sizes')) process.exit(await (await import('./pool-sizes.js')).runPoolSizes());

const PREVIEW_DELAY_MS = 100;
const durationSeconds = Number(process.env['BENCH_DURATION_SECONDS'] ?? '3');
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? '16');
// As deployed (and the level at which the services announce where they listen).
const logLevel = 'info';
// Cold runs read each message once; enough messages for a few seconds of load (Basic too, now
// that the credential cache spares it a scrypt per request).
const COLD_MESSAGES = 300;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '3');
const AUTHS = ['Bearer', 'Basic'] as const;
const auths = authsToRun(process.env['BENCH_AUTH'] ?? AUTHS.join(','));

interface Scenario {
  readonly name: string;
  readonly auth: Measurement['auth'];
  /** Seeds what the round needs (outside the measurement) and returns the measured load. */
  prepare(round: number): Promise<() => Promise<LoadFigures>>;
}

// The test-database helper reads NATTER_TEST_DATABASE_URL; accept DATABASE_URL as its alias here.
if (process.env['NATTER_TEST_DATABASE_URL'] === undefined && process.env['DATABASE_URL'] !== undefined) {
  process.env['NATTER_TEST_DATABASE_URL'] = process.env['DATABASE_URL'];
}
const { createTestDatabase, TEST_DATABASE_URL } = await import('../test/support/database.js');

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
}
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

function postgresUrl(connection: PostgresConnection): string {
  const user = encodeURIComponent(connection.user);
  const password = encodeURIComponent(connection.password);
  return `postgres://${user}:${password}@${connection.host}:${connection.port}/${encodeURIComponent(connection.database)}`;
}

async function main(): Promise<number> {
  const loadAtStart = loadavg()[0]!;
  const database = TEST_DATABASE_URL === undefined ? undefined : await createTestDatabase();
  if (database !== undefined) cleanups.push(() => database.close());
  const secrets = await createSecretsDirectory('natter-bench-');
  cleanups.push(() => secrets.remove());
  const stub = await startPreviewStub({ delayMs: PREVIEW_DELAY_MS });
  cleanups.push(() => stub.close());

  const port = await freePort();
  // What the API itself reports going wrong, so a failed run says why.
  const apiErrors: string[] = [];
  const api: ServiceProcess = await startService({
    name: 'natter-api',
    entry: ENTRIES.api,
    onLine: (line) => {
      const problem = errorLogLine(line);
      if (problem !== undefined) apiErrors.push(problem);
    },
    env: {
      ...(await apiEnvironment({
        port,
        bindAddress: '127.0.0.1',
        allowedHosts: loopbackHosts(port),
        linkPreviewUrl: stub.url,
        database: database?.api,
        secrets,
        logLevel,
        // The limiter still runs on every request; it just must not turn load into 429s.
        extra: {
          NODE_ENV: 'production',
          RATE_LIMIT_GLOBAL_PER_SECOND: '1000000',
          RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1000000',
          RATE_LIMIT_PER_USER_PER_SECOND: '1000000',
        },
      })),
    },
  });
  cleanups.push(() => api.stop());

  const identity = await createIdentity(api.url);
  const plain = await postMessage(api.url, identity, textWithLinks('none', 0));
  const floor = await startService({
    name: 'bare-floor',
    entry: join(dirname(fileURLToPath(import.meta.url)), 'bare-floor.ts'),
    env: {
      ...baseEnvironment(),
      NODE_ENV: 'production',
      FLOOR_DATABASE_URL: database?.api === undefined ? undefined : postgresUrl(database.api),
      FLOOR_SPACE_ID: String(plain.spaceId),
      FLOOR_MSG_ID: String(plain.msgId),
    },
  });
  cleanups.push(() => floor.stop());

  const headersFor = (auth: Measurement['auth']): Record<string, string> =>
    auth === 'none' ? {} : { authorization: auth === 'Bearer' ? identity.bearer : identity.basic };
  const steady = (url: string, path: string, auth: Measurement['auth']) => () =>
    runLoad({ url, headers: headersFor(auth), connections, path, durationSeconds });
  const floorPath = `/spaces/${plain.spaceId}/messages/${plain.msgId}`;

  const scenarios: Scenario[] = [{ name: FLOOR_SCENARIO, auth: 'none', prepare: async () => steady(floor.url, floorPath, 'none') }];
  for (const auth of auths) {
    scenarios.push({
      name: 'no links',
      auth,
      // A fresh capability each round: read capabilities live 5 minutes.
      prepare: async () => steady(api.url, (await postMessage(api.url, identity, textWithLinks('none', 0))).uri, auth),
    });
    for (const links of [1, 3]) {
      const label = `${links} link${links > 1 ? 's' : ''}`;
      scenarios.push({
        name: `${label}, cold cache`,
        auth,
        prepare: async (round) => {
          // Messages nobody has read, with links nobody has previewed: every read misses the cache.
          const text = (index: number) => textWithLinks(`${auth}-${links}-${round}-${index}`, links);
          const cold = await postMessages(api.url, identity, COLD_MESSAGES, text);
          return () => runLoad({ url: api.url, headers: headersFor(auth), connections, paths: cold.map((message) => message.uri) });
        },
      });
      scenarios.push({
        name: `${label}, warm cache`,
        auth,
        prepare: async (round) => {
          const warm = await postMessage(api.url, identity, textWithLinks(`${auth}-${links}-${round}-warm`, links));
          await primeCache(api.url, warm.uri, identity);
          return steady(api.url, warm.uri, auth);
        },
      });
    }
  }

  // Warm-up (JIT, connection pools), not reported.
  await runLoad({ url: floor.url, headers: {}, connections, path: floorPath, durationSeconds: 2 });
  await runLoad({ url: api.url, headers: headersFor('Bearer'), connections, path: plain.uri, durationSeconds: 2 });

  /**
   * When autocannon stops, the API may still be working through what it accepted (a queue of
   * scrypt hashes behind a Basic run). One more request of the same kind returns only once that
   * backlog is done, so the next scenario starts on a quiet server.
   */
  const settle = async (auth: Measurement['auth']): Promise<void> => {
    if (auth === 'none') return;
    const response = await request(`${api.url}/logs`, { headers: headersFor(auth), timeoutMs: 60_000 });
    if (response.status !== 200) throw new Error(`settling after a run failed: ${response.status} ${response.body}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  };

  // Rounds interleave the scenarios, so a burst of load from elsewhere hits all of them alike;
  // the report takes each scenario's median.
  const measurements: Measurement[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    for (const scenario of scenarios) {
      const load = await scenario.prepare(round);
      const stubBefore = await stub.requests();
      const errorsBefore = apiErrors.length;
      const figures = await load();
      const previewRequests = (await stub.requests()) - stubBefore;
      await settle(scenario.auth);
      measurements.push({ name: scenario.name, auth: scenario.auth, figures, previewRequests, apiErrors: apiErrors.slice(errorsBefore) });
      console.error(`round ${round}/${rounds} ${scenario.name} (${scenario.auth}): ${figures.requestsPerSecond.toFixed(0)} req/s, mean ${figures.meanMs.toFixed(0)} ms`);
    }
  }

  const report = formatReport(measurements, {
    database: database?.kind ?? 'embedded',
    connections,
    durationSeconds,
    rounds,
    loadAverage: [loadAtStart, loadavg()[0]!],
    previewDelayMs: PREVIEW_DELAY_MS,
    logLevel,
  });
  console.log(report.text);
  return report.valid ? 0 : 1;
}

/** BENCH_AUTH: a comma-separated subset of Bearer and Basic, in the order given. */
function authsToRun(value: string): (typeof AUTHS)[number][] {
  const chosen = value.split(',').map((name) => name.trim());
  const unknown = chosen.filter((name) => !(AUTHS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_AUTH must be a comma-separated subset of ${AUTHS.join(', ')}, got "${value}"`);
  return chosen as (typeof AUTHS)[number][];
}

/** `message (cause)` of an error-level JSON log line, else undefined. */
function errorLogLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { cause?: unknown } };
    if (entry.level !== 'error' && entry.level !== 'fatal') return undefined;
    const cause = typeof entry.err?.cause === 'string' ? ` (${entry.err.cause})` : '';
    return `${String(entry.msg)}${cause}`;
  } catch {
    return undefined;
  }
}

async function primeCache(baseUrl: string, uri: string, identity: BenchIdentity): Promise<void> {
  const response = await request(`${baseUrl}${uri}`, { headers: { authorization: identity.bearer } });
  if (response.status !== 200) throw new Error(`priming the preview cache failed: ${response.status} ${response.body}`);
}

let exitCode = 1;
try {
  exitCode = await main();
} finally {
  await cleanUp();
}
process.exit(exitCode);
