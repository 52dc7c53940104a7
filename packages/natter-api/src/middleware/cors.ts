import type { NatterMiddleware } from '../context.js';
import { fail } from '../http-error.js';

/**
 * One allowed origin (or none). Preflights (OPTIONS + Access-Control-Request-Method) end here:
 * 204 for the allowed origin, 403 otherwise. Credentials are never allowed: the API uses
 * Authorization headers and capability URLs, not cookies.
 */
export function cors(options: { readonly allowedOrigin: string | undefined }): NatterMiddleware {
  return async function corsMiddleware(ctx, next) {
    const origin = ctx.get('Origin');
    const allowed = options.allowedOrigin !== undefined && origin === options.allowedOrigin;
    ctx.vary('Origin');
    if (allowed) ctx.set('Access-Control-Allow-Origin', origin);
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '') {
      if (!allowed) fail(403, 'origin not allowed');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization');
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, DELETE');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
