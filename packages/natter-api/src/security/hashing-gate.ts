import { fail } from '../http-error.js';

/** How much password hashing may run at once, and how much may wait. */
export interface HashingGateLimits {
  /**
   * Hashes running at once. scrypt runs on libuv's pool (4 threads by default), which the
   * database driver's connects and logins share: leave it room, or a burst of Basic logins
   * starves new database connections into timeouts.
   */
  readonly maxConcurrent: number;
  /** Hashes waiting for a slot; beyond this a request gets 503 at once instead of queueing. */
  readonly maxQueued: number;
}

/** Half the default libuv pool hashes; a queue of a few seconds' work at ~100 ms a hash. */
export const DEFAULT_HASHING_GATE_LIMITS: HashingGateLimits = { maxConcurrent: 2, maxQueued: 32 };

/** Runs work through at most `maxConcurrent` slots, FIFO, refusing with 503 when the queue is full. */
export function createHashingGate(limits: HashingGateLimits = DEFAULT_HASHING_GATE_LIMITS) {
  if (limits.maxConcurrent < 1) throw new Error(`maxConcurrent must be >= 1, got ${limits.maxConcurrent}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running -= 1;
    else next();
  };
  return async function throughGate<T>(work: () => Promise<T>): Promise<T> {
    if (running < limits.maxConcurrent) {
      running += 1;
    } else {
      if (waiting.length >= limits.maxQueued) fail(503, 'server busy, retry later', { 'Retry-After': '1' });
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      release();
    }
  };
}
