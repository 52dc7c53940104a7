import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { DatabaseUnavailableError, isConnectionFailure, type Database, type Queryable } from './database.js';
import { verifyFullSsl, type DatabaseTls } from './tls.js';

export interface PostgresOptions {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Connect over TLS, verified against this CA and `host`. @default - plaintext (a meshed or local hop) */
  readonly tls?: DatabaseTls;
  /** @default 10 */
  readonly poolMax?: number;
  /** application_name of every connection (pg_stat_activity). @default 'natter-api' */
  readonly applicationName?: string;
  /** How long to wait for a connection before answering 503. @default 2000 */
  readonly connectTimeoutMs?: number;
  /** Server-side statement_timeout. @default 5000 */
  readonly statementTimeoutMs?: number;
  readonly logger: Logger;
}

// int8 (sequences) as numbers, like PGlite: our ids stay far below 2^53.
const types = new pg.TypeOverrides();
types.setTypeParser(20, (value: string) => Number(value));

function translate(error: unknown): unknown {
  return isConnectionFailure(error) ? new DatabaseUnavailableError(error) : error;
}

/**
 * Every statement the API sends has fixed text: naming it lets each connection parse and plan it
 * once (a prepared statement) instead of on every request. (A schema change invalidates those
 * plans; migrations run before a rollout replaces the pods.)
 */
function statementNamer(): (text: string) => string {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `natter_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
}

function queryable(client: pg.Pool | pg.PoolClient, statementName: (text: string) => string): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      try {
        const result = params.length === 0
          ? await client.query(text)
          : await client.query({ name: statementName(text), text, values: params as unknown[] });
        return result.rows as Row[];
      } catch (error) {
        throw translate(error);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        // Without parameters pg uses the simple protocol, which accepts several statements.
        await client.query(script);
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

/**
 * A pg Pool. A pool keeps no broken connection: when the server goes away, queries fail fast
 * (DatabaseUnavailableError → 503) and the next checkout opens a fresh connection, so the API
 * recovers without a restart.
 */
export function createPostgresDatabase(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    password: options.password,
    ssl: options.tls === undefined ? false : verifyFullSsl(options.host, options.tls),
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    query_timeout: (options.statementTimeoutMs ?? 5000) + 1000,
    application_name: options.applicationName ?? 'natter-api',
    keepAlive: true,
    types,
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (error) => options.logger.warn({ err: { message: error.message } }, 'idle database connection lost'));
  // Between the pool handing a client to pool.connect()'s promise and the caller's first line
  // running, the rest of the socket chunk being parsed can still arrive: a 57P01 right behind a
  // ReadyForQuery was emitted on a client with no listener at all and ended the process. A listener
  // for each client's whole life closes every such window; the failure itself reaches the query,
  // the transaction (below) or the pool's idle listener, which decide and log.
  pool.on('connect', (client) => {
    client.on('error', (error: Error & { code?: unknown }) => options.logger.debug({ err: { message: error.message, code: error.code } }, 'database connection error'));
  });
  const statementName = statementNamer();
  const pooled = queryable(pool, statementName);
  return {
    query: pooled.query,
    exec: pooled.exec,
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translate(error);
      }
      // A checked-out client reports a lost connection (a restart, pg_terminate_backend: 57P01) as an
      // 'error' event on itself, which pool.on('error') does not cover; unhandled, it ends the process.
      // The statement in flight fails on its own (→ 503); the client is then destroyed, not reused.
      let lost: Error | undefined;
      const onLost = (error: Error): void => {
        lost ??= error;
        options.logger.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'database connection lost during a transaction');
      };
      client.on('error', onLost);
      const tx = queryable(client, statementName);
      let broken: unknown;
      try {
        await tx.query('BEGIN');
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        await tx.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        // A connection that was lost or failed to roll back is destroyed rather than reused. (Once
        // released, the pool's own listener covers it again.)
        client.off('error', onLost);
        client.release(lost ?? (broken instanceof Error ? broken : undefined));
      }
    },
    close: () => pool.end(),
  };
}
