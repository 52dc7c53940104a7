import type { Middleware } from 'koa';

/** Options for {@link hostAllowlist}. */
export interface HostAllowlistOptions {
  /** Exact `Host` header values to accept (`name` or `name:port`); compared case-insensitively. */
  readonly hosts: readonly string[];
}

/**
 * Rejects any request whose `Host` header is not on the list, before any other work: the defence
 * against DNS rebinding. Throws an exposed 400 so each service renders it in its own error format.
 */
export function hostAllowlist(options: HostAllowlistOptions): Middleware {
  if (options.hosts.length === 0) throw new Error('hostAllowlist needs at least one allowed host, got none');
  const allowed = new Set(options.hosts.map((host) => host.toLowerCase()));
  return async function hostAllowlistMiddleware(ctx, next) {
    const host = ctx.get('host').toLowerCase();
    if (!allowed.has(host)) ctx.throw(400, 'invalid Host header');
    await next();
  };
}
