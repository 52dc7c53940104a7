import type { Database, Queryable } from './database.js';
import { quoteIdentifier } from './sql.js';

/** The embedded database plus a way to act as its owner (tests read what the API cannot). */
export interface EmbeddedDatabase {
  /** Runs as the API role once {@link EmbeddedDatabase.actAs} has been called. */
  readonly db: Database;
  /** Runs statements as the embedded superuser, e.g. migrations and test inspection. */
  readonly owner: Database;
  /** Switches the session to a less privileged role, as a real deployment's login role would be. */
  actAs(role: string): Promise<void>;
}

type PGliteTransaction = {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(text: string): Promise<unknown>;
};

type PGliteLike = {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(text: string): Promise<unknown>;
  transaction<T>(work: (tx: PGliteTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/**
 * In-memory PGlite (PostgreSQL compiled to WebAssembly) for zero-setup development and tests.
 * Imported lazily so a production bundle never loads it. One session, so it cannot "go down".
 */
export async function createEmbeddedDatabase(): Promise<EmbeddedDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = (await PGlite.create()) as unknown as PGliteLike;
  let role: string | undefined;

  const wrap = (asOwner: boolean): Database => {
    const inTransaction = <T>(work: (tx: Queryable) => Promise<T>): Promise<T> =>
      pglite.transaction(async (tx) => {
        // SET LOCAL reverts at commit/rollback; the session itself keeps the API role.
        if (asOwner && role !== undefined) await tx.query('SET LOCAL ROLE NONE');
        return work({
          async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
            return (await tx.query<Row>(text, params as unknown[])).rows;
          },
          async exec(script: string): Promise<void> {
            await tx.exec(script);
          },
        });
      });
    return {
      async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
        if (asOwner && role !== undefined) return inTransaction((tx) => tx.query<Row>(text, params));
        return (await pglite.query<Row>(text, params as unknown[])).rows;
      },
      async exec(script: string): Promise<void> {
        if (asOwner && role !== undefined) return inTransaction((tx) => tx.exec(script));
        await pglite.exec(script);
      },
      transaction: inTransaction,
      close: () => pglite.close(),
    };
  };

  return {
    db: wrap(false),
    owner: wrap(true),
    async actAs(name: string): Promise<void> {
      await pglite.exec(`SET ROLE ${quoteIdentifier(name)}`);
      role = name;
    },
  };
}
