import { z } from 'zod';

/**
 * `api.rateLimit` of the settings model: the API's request rates for the service AS A WHOLE. The
 * chart gives each replica its share (`replicaShare`), so N replicas together never admit more than
 * these figures (charts/README.md, "Rate limits across replicas").
 */

function bucket(perSecond: number, what: string) {
  return z
    .strictObject({
      perSecond: z.int().min(1).max(1_000_000).default(perSecond).describe(`Steady rate, requests per second, ${what}, for the whole service.`),
      burst: z.int().min(1).max(10_000_000).optional().describe('Requests that may arrive at once, for the whole service. Default: 2 × perSecond.'),
    })
    .prefault({});
}

export const rateLimitSettings = z
  .strictObject({
    global: bucket(200, 'all clients together').describe('The ceiling for the whole API (protects the database and the password-hashing threads).'),
    perAddress: bucket(20, 'per client address').describe('Per client address, before authentication (the address the edge reports; see TRUSTED_PROXIES).'),
    perUser: bucket(10, 'per authenticated user').describe('Per authenticated user.'),
  })
  .prefault({})
  .describe('Request rates for the whole API; each replica gets 1/replicas of them.');

export type RateLimitSettings = z.output<typeof rateLimitSettings>;
export type BucketSettings = RateLimitSettings['global'];

/** A bucket's burst with its default filled in. */
export function burstOf(bucket: BucketSettings): number {
  return bucket.burst ?? bucket.perSecond * 2;
}

const BUCKETS = ['global', 'perAddress', 'perUser'] as const;

/** One replica's share of a service-wide bucket, rounded down so the replicas together stay at or under it. */
export function replicaShare(bucket: BucketSettings, replicas: number): { perSecond: number; burst: number } {
  return { perSecond: Math.floor(bucket.perSecond / replicas), burst: Math.floor(burstOf(bucket) / replicas) };
}

/** A share below 1 would refuse every request: such a rate is a settings mistake, reported on its field. */
export function rateLimitIssues(api: { readonly replicas: number; readonly rateLimit: RateLimitSettings }): z.core.$ZodRawIssue[] {
  return BUCKETS.flatMap((name) => {
    const bucket = api.rateLimit[name];
    const share = replicaShare(bucket, api.replicas);
    if (share.perSecond >= 1 && share.burst >= 1) return [];
    const field = share.perSecond < 1 ? 'perSecond' : 'burst';
    return [{
      code: 'custom' as const,
      path: ['api', 'rateLimit', name, field],
      input: bucket[field] ?? burstOf(bucket),
      message: `must be at least api.replicas (${api.replicas}): the chart gives each replica 1/${api.replicas} of it, and a share below 1 would refuse every request`,
    }];
  });
}
