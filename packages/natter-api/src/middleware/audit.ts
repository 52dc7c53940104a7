import type { Logger } from 'pino';
import type { Clock, NatterContext, NatterMiddleware } from '../context.js';
import type { RequestStatements } from '../db/request-statements.js';
import type { AuditEntry } from '../db/store.js';

const MAX_PATH_LENGTH = 1024;

/** What a start row records of the request itself. Only the path: query strings carry capability tokens and never reach the audit log. */
export function auditedRequest(ctx: NatterContext): { method: string; path: string; client: string | undefined } {
  return { method: ctx.method.slice(0, 16), path: ctx.path.slice(0, MAX_PATH_LENGTH), client: ctx.state.clientAddress };
}

function describe(ctx: NatterContext, time: Date): Omit<AuditEntry, 'id'> & { time: Date } {
  return { ...auditedRequest(ctx), user: ctx.state.user, time };
}

function ignore(): void {}

/** Reads: they change nothing a user can see before the response, which waits for the start row. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Two audit rows per request, sharing an id: one when the request starts (written once the caller
 * is known, before any action) and one with the final status when it ends. `trail` wraps the whole
 * pipeline, so requests stopped early (429, bad Host, 415, …) still get both rows.
 *
 * Latency: the end row is written after the response has been decided, without holding it up
 * ({@link settled} waits for those writes: GET /logs and shutdown use it); a read runs alongside
 * its start row but is answered only once that row is written.
 */
export function auditLog(options: { readonly statements: RequestStatements; readonly logger: Logger; readonly clock: Clock }) {
  // Group commit: start and end rows of concurrent requests share one statement with their lookups.
  const writeRows = options.statements.writeAuditRow;

  const pending = new Set<Promise<void>>();
  const settled = async (): Promise<void> => {
    await Promise.allSettled([...pending]);
  };

  const trail: NatterMiddleware = async function auditTrailMiddleware(ctx, next) {
    try {
      await next();
    } finally {
      const { method, path, user, client, time } = describe(ctx, options.clock.now());
      const status = ctx.status;
      const startId = ctx.state.auditId;
      const write = startId !== undefined
        ? writeRows({ kind: 'end', entry: { method, path, user, client, status, id: startId, time } })
        : writeRows({ kind: 'start', entry: { method, path, user, client, time } }).then((id) =>
            writeRows({ kind: 'end', entry: { method, path, user, client, status, id: id!, time: options.clock.now() } }),
          );
      // The response is already decided; a lost audit row must be visible in the logs, not hidden.
      // (Per request on the hot path: one settle handler that also forgets the write, no .finally chain.)
      const logged: Promise<void> = write.then(
        () => {
          pending.delete(logged);
        },
        (error: unknown) => {
          pending.delete(logged);
          options.logger.error({ err: { message: (error as Error).message }, method, path, status }, 'audit row not written');
        },
      );
      pending.add(logged);
    }
  };

  /**
   * No action without a start row: if it cannot be written the request fails (503 when the database
   * is down). A Bearer request's row is already under way (prefetch: its one statement, with the
   * same user authentication found); any other request's is written here.
   */
  const start: NatterMiddleware = async function auditStartMiddleware(ctx, next) {
    const started = (ctx.state.auditStarted ??= writeRows({ kind: 'start', entry: describe(ctx, options.clock.now()) }).then((id) => {
      ctx.state.auditId = id;
    }));
    if (!READ_METHODS.has(ctx.method)) {
      await started;
      await next();
      return;
    }
    const reading = next();
    // Handled at once: a read that fails while the start row is still being written is not an unhandled rejection.
    reading.catch(ignore);
    try {
      await started;
    } catch (error) {
      // Without a start row nothing is answered, not even what the read found (once the read has settled).
      await reading.catch(ignore);
      throw error;
    }
    await reading;
  };

  return { trail, start, settled };
}
