import type { BucketConfig } from '../config.js';
import type { Clock, NatterContext, NatterMiddleware } from '../context.js';
import { TokenBuckets, type Take } from './token-buckets.js';
import { fail } from '../http-error.js';

function reject(take: Take & { allowed: false }): never {
  fail(429, 'too many requests', { 'Retry-After': String(take.retryAfterSeconds) });
}

/**
 * First stage: a global ceiling for the instance, then a bucket per client address, both before
 * any work (no parsing, no database). Rejections are 429 with Retry-After.
 */
export function rateLimit(options: {
  readonly global: BucketConfig;
  readonly perAddress: BucketConfig;
  readonly clientAddress: (ctx: NatterContext) => string;
  readonly clock: Clock;
}): NatterMiddleware {
  const global = new TokenBuckets(options.global, 1);
  const perAddress = new TokenBuckets(options.perAddress);
  return async function rateLimitMiddleware(ctx, next) {
    const now = options.clock.now().getTime();
    // Per address first, so one noisy client spends its own budget and not the global one.
    const byAddress = perAddress.take(options.clientAddress(ctx), now);
    if (!byAddress.allowed) reject(byAddress);
    const overall = global.take('*', now);
    if (!overall.allowed) reject(overall);
    await next();
  };
}

/** After authentication: a bucket per user, so one account cannot use up everyone's share. */
export function rateLimitPerUser(options: { readonly perUser: BucketConfig; readonly clock: Clock }): NatterMiddleware {
  const perUser = new TokenBuckets(options.perUser);
  return async function rateLimitPerUserMiddleware(ctx, next) {
    if (ctx.state.user !== undefined) {
      const take = perUser.take(ctx.state.user, options.clock.now().getTime());
      if (!take.allowed) reject(take);
    }
    await next();
  };
}
