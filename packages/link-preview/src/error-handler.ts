import type { Middleware } from 'koa';
import type { Logger } from 'pino';

interface HttpFailure {
  status?: number;
  expose?: boolean;
  message?: string;
  headers?: Record<string, string>;
}

/**
 * The one place errors become responses: `{"status", "error"}` with the message only when the
 * error is marked safe to expose; everything else is logged and answered with a generic message.
 */
export function jsonErrors(logger: Logger): Middleware {
  return async function jsonErrorsMiddleware(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404, 'not found');
    } catch (caught) {
      const error = caught as HttpFailure;
      const status = typeof error.status === 'number' && error.status >= 400 && error.status <= 599 ? error.status : 500;
      const exposed = error.expose === true && typeof error.message === 'string';
      if (!exposed) logger.error({ err: caught, path: ctx.path }, 'request failed');
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      ctx.status = status;
      ctx.body = { status, error: exposed ? error.message : 'internal error' };
    }
  };
}
