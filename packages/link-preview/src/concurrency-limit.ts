import type { Middleware } from 'koa';

/** Options for {@link concurrencyLimit}. */
export interface ConcurrencyLimitOptions {
  /** Requests allowed in progress at once. */
  readonly max: number;
}

/**
 * Refuses work beyond `max` requests in progress with an immediate 503 instead of queueing: a
 * caller waiting on a saturated previewer would only time out later, holding a connection.
 */
export function concurrencyLimit(options: ConcurrencyLimitOptions): Middleware {
  let inProgress = 0;
  return async function concurrencyLimitMiddleware(ctx, next) {
    if (inProgress >= options.max) {
      ctx.throw(503, 'too many previews in progress', { expose: true, headers: { 'retry-after': '1' } });
    }
    inProgress += 1;
    try {
      await next();
    } finally {
      inProgress -= 1;
    }
  };
}
