import type { BucketConfig } from '../config.js';

/** Outcome of taking one token: allowed, or how long until one is available. */
export type Take = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by client (address or user), bounded in memory: when full, the least
 * recently used bucket is forgotten (Map keeps insertion order; a touched bucket moves to the end).
 * Forgetting a bucket can only grant that client a fresh burst, never lock anyone out.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: BucketConfig,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string, nowMs: number): Take {
    const bucket = this.buckets.get(key) ?? { tokens: this.config.burst, updatedAt: nowMs };
    this.buckets.delete(key);
    const elapsedSeconds = Math.max(0, nowMs - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(this.config.burst, bucket.tokens + elapsedSeconds * this.config.perSecond);
    bucket.updatedAt = nowMs;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.config.perSecond)) };
  }
}
