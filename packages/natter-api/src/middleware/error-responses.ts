import type { Logger } from 'pino';
import type { NatterMiddleware } from '../context.js';
import { DatabaseUnavailableError } from '../db/database.js';

interface HttpErrorLike {
  status?: number;
  expose?: boolean;
  message: string;
  headers?: Record<string, string | string[]>;
}

/**
 * Every failure becomes `{"error": "..."}`: the message only when the error was thrown on purpose
 * (`expose`), otherwise a generic 500 with the details logged, never sent. A database that cannot be
 * reached is a 503, so clients retry and the readiness probe takes the pod out of rotation.
 */
export function errorResponses(options: { logger: Logger }): NatterMiddleware {
  return async function errorResponsesMiddleware(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: 'not found' };
      }
    } catch (caught) {
      const error = (caught instanceof Error ? caught : new Error(String(caught))) as Error & HttpErrorLike;
      // Only the database layer decides what counts as "unreachable" (a client hanging up is not).
      if (error instanceof DatabaseUnavailableError) {
        const cause = error.cause as (Error & { code?: unknown }) | undefined;
        options.logger.error({ err: { message: error.message, cause: String(cause?.message ?? ''), code: cause?.code } }, 'database unavailable');
        ctx.status = 503;
        ctx.set('Retry-After', '1');
        ctx.body = { error: 'service unavailable' };
        return;
      }
      const status = typeof error.status === 'number' && error.status >= 400 && error.status <= 599 ? error.status : 500;
      // Only errors built for the client (HttpError, koa's 4xx) are shown; a deliberate 503 stays a 503.
      if (error.expose !== true) {
        options.logger.error({ err: error, method: ctx.method, path: ctx.path }, 'request failed');
        ctx.status = 500;
        ctx.body = { error: 'internal server error' };
        return;
      }
      ctx.status = status;
      if (error.headers !== undefined) ctx.set(error.headers);
      ctx.body = { error: error.message };
    }
  };
}
