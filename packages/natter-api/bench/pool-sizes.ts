/**
 * `npm run bench -- --pool-sizes` (packages/natter-api): how large a database pool one API process
 * can use. For each pool size (BENCH_POOL_SIZES, default 2,4,8,16) two API processes
 * (`src/server.ts`, DATABASE_POOL_MAX = the size, DATABASE_APPLICATION_NAME natter-api-a / -b) share
 * one PostgreSQL, and one load generator (two autocannon instances in this process, half the
 * connections each) first reads a message, then posts messages, with a Bearer token. Reported per
 * size and workload: requests/s, p99, statements and transactions per request, connections per
 * process, how busy PostgreSQL is and what it waits on, CPU of the API, PostgreSQL and the load
 * generator; then round trips per read, the knee, and the top statements by total time.
 *
 * PostgreSQL is a private cluster started for the run (pg_stat_statements needs
 * shared_preload_libraries, which the shared server does not load), with fsync on as deployed.
 * Tuning: BENCH_POOL_SIZES, BENCH_DURATION_SECONDS (3 per workload and size), BENCH_CONNECTIONS (64 in all).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { apiEnvironment, createSecretsDirectory, ENTRIES, freePort, loopbackHosts, startPrivatePostgres, startService, type PrivatePostgres, type ServiceProcess } from '@natter/process-harness';
import { runLoad, type LoadFigures } from './load.js';
import { formatPoolReport, type PoolSizeMeasurement, type Workload, type RoundTripFigures, type RoundTripProbe, type TopStatement } from './pool-report.js';
import { processTree, snapshot, spent } from './process-cpu.js';
import { startRoundTripProxy } from './round-trip-proxy.js';
import { createIdentity, postMessage, textWithLinks, type BenchIdentity } from './seed.js';
import { runWrites } from './write-load.js';

const poolSizes = (process.env['BENCH_POOL_SIZES'] ?? '2,4,8,16').split(',').map((value) => Number(value.trim()));
const durationSeconds = Number(process.env['BENCH_DURATION_SECONDS'] ?? '3');
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? '64');
const PROCESSES = ['natter-api-a', 'natter-api-b'] as const;
const SAMPLE_INTERVAL_MS = 250;
/** Idle backends report their transaction counts to pg_stat_database at most once a second. */
const STATS_FLUSH_MS = 1100;
const PROBE_READS = 200;
/** The API's own default: reads never use more (see the table's connections). */
const PROBE_POOL_SIZE = 10;

if (poolSizes.some((size) => !Number.isInteger(size) || size < 1 || size > 100) || connections < 2) {
  throw new Error(`BENCH_POOL_SIZES must list pool sizes 1-100 (e.g. 2,4,8,16) and BENCH_CONNECTIONS be at least 2, got "${process.env['BENCH_POOL_SIZES']}" / ${connections}`);
}

/** A superuser session in the benchmark's database, for the statistics views. */
class Monitor {
  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
    private readonly apiUser: string,
  ) {}

  public static async open(server: PrivatePostgres, database: string, apiUser: string): Promise<Monitor> {
    const client = new pg.Client({ ...server.superuser, database, application_name: 'natter-bench-monitor' });
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return new Monitor(client, database, apiUser);
  }

  public async resetStatements(): Promise<void> {
    await this.client.query('SELECT pg_stat_statements_reset()');
  }

  /** Calls and execution time of the API role's statements since the reset, and the top ones. */
  public async statements(): Promise<{ calls: number; totalMs: number; top: TopStatement[] }> {
    const filter = 'userid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND dbid = (SELECT oid FROM pg_database WHERE datname = $2)';
    const { rows: [sum] } = await this.client.query(`SELECT coalesce(sum(calls), 0)::float8 AS calls, coalesce(sum(total_exec_time), 0)::float8 AS ms FROM pg_stat_statements WHERE ${filter}`, [this.apiUser, this.database]);
    const { rows } = await this.client.query(
      `SELECT query, calls::float8 AS calls, total_exec_time AS total, mean_exec_time AS mean FROM pg_stat_statements WHERE ${filter} ORDER BY total_exec_time DESC LIMIT 5`,
      [this.apiUser, this.database],
    );
    return { calls: sum.calls, totalMs: sum.ms, top: rows.map((row) => ({ query: row.query, calls: row.calls, totalMs: row.total, meanMs: row.mean })) };
  }

  public async transactions(): Promise<number> {
    const { rows: [row] } = await this.client.query('SELECT (xact_commit + xact_rollback)::float8 AS xacts FROM pg_stat_database WHERE datname = $1', [this.database]);
    return row.xacts;
  }

  /** The API processes' connections right now: per application_name, all and active; and what the active ones wait on. */
  public async activity(): Promise<{ perProcess: Map<string, { all: number; active: number }>; waits: string[] }> {
    const { rows } = await this.client.query(
      `SELECT application_name AS name, state, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait
         FROM pg_stat_activity WHERE datname = $1 AND application_name = ANY($2)`,
      [this.database, PROCESSES],
    );
    const perProcess = new Map<string, { all: number; active: number }>();
    const waits: string[] = [];
    for (const row of rows) {
      const figures = perProcess.get(row.name) ?? { all: 0, active: 0 };
      figures.all += 1;
      if (row.state === 'active') {
        figures.active += 1;
        waits.push(row.wait);
      }
      perProcess.set(row.name, figures);
    }
    return { perProcess, waits };
  }

  public async version(): Promise<string> {
    const { rows: [row] } = await this.client.query('SHOW server_version');
    return String(row.server_version).split(' ')[0]!;
  }

  public close(): Promise<void> {
    return this.client.end();
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
}

/** `message (cause)` of an error-level JSON log line, else undefined. */
function errorLogLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { cause?: unknown } };
    if (entry.level !== 'error' && entry.level !== 'fatal') return undefined;
    return `${String(entry.msg)}${typeof entry.err?.cause === 'string' ? ` (${entry.err.cause})` : ''}`;
  } catch {
    return undefined;
  }
}

/** The whole run; everything it started is stopped and removed again, also on failure or Ctrl-C. */
export async function runPoolSizes(): Promise<number> {
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  try {
    return await measure();
  } finally {
    await cleanUp();
  }
}

async function measure(): Promise<number> {
  const loadAtStart = loadavg()[0]!;
  const server = await startPrivatePostgres({
    settings: {
      shared_preload_libraries: 'pg_stat_statements',
      // As deployed: every commit (the audit rows) waits for its WAL to reach the disk.
      fsync: 'on',
      max_connections: String(2 * Math.max(...poolSizes) + 20),
    },
  });
  cleanups.push(() => server.close());
  // The test-database helper creates the database, owner and API role, and migrates.
  process.env['NATTER_TEST_DATABASE_URL'] = server.url;
  const { createTestDatabase } = await import('../test/support/database.js');
  const database = await createTestDatabase();
  cleanups.push(() => database.close());
  const api = database.api!;
  const monitor = await Monitor.open(server, api.database, api.user);
  cleanups.push(() => monitor.close());
  const postmaster = Number(readFileSync(join(server.directory, 'data', 'postmaster.pid'), 'utf8').split('\n', 1)[0]);

  const secrets = await createSecretsDirectory('natter-bench-pools-');
  cleanups.push(() => secrets.remove());
  const ports = [await freePort(), await freePort(), await freePort()] as const;
  // One environment for every process: the same HMAC key, so a token from one is valid on the others.
  const shared = await apiEnvironment({
    port: ports[0],
    bindAddress: '127.0.0.1',
    allowedHosts: ports.flatMap(loopbackHosts),
    database: api,
    secrets,
    logLevel: 'info',
    extra: {
      NODE_ENV: 'production',
      RATE_LIMIT_GLOBAL_PER_SECOND: '1000000',
      RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1000000',
      RATE_LIMIT_PER_USER_PER_SECOND: '1000000',
    },
  });
  const apiErrors: string[] = [];
  const start = async (name: string, port: number, poolSize: number, databasePort = api.port): Promise<ServiceProcess> => {
    const started = await startService({
      name,
      entry: ENTRIES.api,
      onLine: (line) => {
        const problem = errorLogLine(line);
        if (problem !== undefined) apiErrors.push(`${name}: ${problem}`);
      },
      env: { ...shared, PORT: String(port), DATABASE_PORT: String(databasePort), DATABASE_POOL_MAX: String(poolSize), DATABASE_APPLICATION_NAME: name },
    });
    cleanups.push(() => started.stop());
    return started;
  };

  /**
   * One measured window of `workload` after a warm-up (JIT, the pool's connections opened and their
   * statements prepared): throughput and latency from the load generator, statements and
   * transactions from PostgreSQL's statistics, connections and waits sampled from pg_stat_activity,
   * CPU from /proc.
   */
  const measureWindow = async (workload: Workload, poolSize: number, processes: readonly ServiceProcess[], load: (seconds: number) => Promise<LoadFigures[]>): Promise<PoolSizeMeasurement> => {
    await load(1);
    await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
    await monitor.resetStatements();
    const transactionsBefore = await monitor.transactions();
    const errorsBefore = apiErrors.length;
    const apiPids = processes.map((service) => service.child.pid!);
    const cpuBefore = { api: snapshot(apiPids), postgres: snapshot(processTree(postmaster)), load: process.cpuUsage() };
    const started = performance.now();
    const samples: Awaited<ReturnType<Monitor['activity']>>[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await monitor.activity());
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
      }
    })();
    const figures = await load(durationSeconds);
    sampling = false;
    await sampler;
    const elapsedSeconds = (performance.now() - started) / 1000;
    const loadCpu = process.cpuUsage(cpuBefore.load);
    const cpu = {
      api: spent(cpuBefore.api, snapshot(apiPids)) / elapsedSeconds,
      postgres: spent(cpuBefore.postgres, snapshot(processTree(postmaster))) / elapsedSeconds,
      loadGenerator: (loadCpu.user + loadCpu.system) / 1e6 / elapsedSeconds,
    };
    const statements = await monitor.statements();
    await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
    const transactions = (await monitor.transactions()) - transactionsBefore;
    const requests = figures.reduce((total, figure) => total + figure.requests, 0);
    const waitCounts = new Map<string, number>();
    for (const wait of samples.flatMap((sample) => sample.waits)) waitCounts.set(wait, (waitCounts.get(wait) ?? 0) + 1);
    const activeSamples = samples.reduce((total, sample) => total + sample.waits.length, 0);
    const measurement: PoolSizeMeasurement = {
      workload,
      poolSize,
      requestsPerSecond: figures.reduce((total, figure) => total + figure.requestsPerSecond, 0),
      requests,
      p99Ms: Math.max(...figures.map((figure) => figure.p99Ms)),
      failures: figures.reduce((total, figure) => total + figure.failures, 0),
      failureDetail: figures.map((figure) => figure.failureDetail).filter((detail) => detail !== '').join('; '),
      statementsPerRequest: statements.calls / Math.max(requests, 1),
      transactionsPerRequest: transactions / Math.max(requests, 1),
      connections: Object.fromEntries(
        PROCESSES.map((name) => {
          const seen = samples.map((sample) => sample.perProcess.get(name) ?? { all: 0, active: 0 });
          return [name, { max: Math.max(0, ...seen.map((figure) => figure.all)), meanActive: seen.reduce((total, figure) => total + figure.active, 0) / Math.max(seen.length, 1) }];
        }),
      ),
      executingStatements: statements.totalMs / 1000 / elapsedSeconds,
      cpu,
      waits: [...waitCounts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([wait, count]) => `${wait} ${Math.round((100 * count) / Math.max(activeSamples, 1))} %`),
      topStatements: statements.top,
      apiErrors: apiErrors.slice(errorsBefore),
    };
    console.error(`pool ${poolSize} ${workload}: ${measurement.requestsPerSecond.toFixed(0)} requests/s, ${measurement.statementsPerRequest.toFixed(2)} statements each`);
    return measurement;
  };

  let identity: BenchIdentity | undefined;
  const measurements: PoolSizeMeasurement[] = [];
  for (const poolSize of poolSizes) {
    const processes = await Promise.all(PROCESSES.map((name, index) => start(name, ports[index]!, poolSize)));
    identity ??= await createIdentity(processes[0]!.url);
    const { bearer, messagesUri, username } = identity;
    const headers = { authorization: bearer };
    // A fresh capability per size: read capabilities live 5 minutes.
    const message = await postMessage(processes[0]!.url, identity, textWithLinks('none', 0));
    const perProcess = connections / 2;
    measurements.push(
      await measureWindow('reads', poolSize, processes, (seconds) =>
        Promise.all(processes.map((service) => runLoad({ url: service.url, headers, connections: perProcess, path: message.uri, durationSeconds: seconds })))),
      await measureWindow('writes', poolSize, processes, (seconds) =>
        Promise.all(processes.map((service) => runWrites({ url: service.url, headers, path: messagesUri, author: username, connections: perProcess, durationSeconds: seconds })))),
    );
    await Promise.all(processes.map((service) => service.stop()));
  }

  const probe = await probeRoundTrips(server, monitor, start, ports[2], identity!);
  const report = formatPoolReport(measurements, probe, {
    loadAverage: [loadAtStart, loadavg()[0]!],
    cores: cpus().length,
    connections,
    durationSeconds,
    postgres: `private PostgreSQL ${await monitor.version()}, pg_stat_statements, fsync on`,
  });
  console.log(report.text);
  return report.valid ? 0 : 1;
}

/**
 * One more API process, connected through the counting relay: round trips and statements per read
 * for a read alone (one connection, one read at a time) and under the run's load (half the
 * connections, as each process gets above), counted once its pool is warm.
 */
async function probeRoundTrips(
  server: PrivatePostgres,
  monitor: Monitor,
  start: (name: string, port: number, poolSize: number, databasePort?: number) => Promise<ServiceProcess>,
  port: number,
  identity: BenchIdentity,
): Promise<RoundTripProbe> {
  const proxy = await startRoundTripProxy({ host: server.superuser.host, port: server.superuser.port });
  cleanups.push(() => proxy.close());
  const probe = await start('natter-api-probe', port, PROBE_POOL_SIZE, proxy.port);
  const message = await postMessage(probe.url, identity, textWithLinks('none', 0));
  const headers = { authorization: identity.bearer };
  const count = async (read: () => Promise<LoadFigures>): Promise<RoundTripFigures> => {
    proxy.reset();
    await monitor.resetStatements();
    const figures = await read();
    const roundTrips = proxy.roundTrips();
    const statements = await monitor.statements();
    if (figures.failures > 0) throw new Error(`the round-trip probe's reads failed: ${figures.failureDetail}`);
    return { reads: figures.requests, roundTripsPerRead: roundTrips / figures.requests, statementsPerRead: statements.calls / figures.requests };
  };
  await runLoad({ url: probe.url, headers, connections: connections / 2, path: message.uri, durationSeconds: 1 });
  const alone = await count(() => runLoad({ url: probe.url, headers, connections: 1, paths: Array.from({ length: PROBE_READS }, () => message.uri) }));
  const underLoad = await count(() => runLoad({ url: probe.url, headers, connections: connections / 2, path: message.uri, durationSeconds: 2 }));
  await probe.stop();
  return { poolSize: PROBE_POOL_SIZE, connections: connections / 2, alone, underLoad };
}
