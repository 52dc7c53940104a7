import type { NatterMiddleware } from '../context.js';

/** The contract's security headers; also on the answers serve() writes for requests Node's parser rejects. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The legacy XSS auditor itself enabled attacks; 0 switches it off (OWASP guidance).
  'X-XSS-Protection': '0',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
};

/**
 * Outermost middleware: stamps the headers on every response, errors included, after everything
 * else has run (so nothing downstream can drop them). Nothing sets a Server header.
 */
export function securityHeaders(): NatterMiddleware {
  return async function securityHeadersMiddleware(ctx, next) {
    try {
      await next();
    } finally {
      ctx.set(SECURITY_HEADERS);
      ctx.remove('X-Powered-By');
      if (ctx.body !== null && ctx.body !== undefined) ctx.type = 'application/json; charset=utf-8';
    }
  };
}
