import { performance } from 'node:perf_hooks';

export interface LoopOptions {
  readonly concurrency: number;
  /** Stop starting new previews after this long (in-flight ones are awaited). */
  readonly durationMs: number;
  readonly maxCount: number;
  readonly timeoutMs: number;
}

export interface LoopOutcome<T> {
  readonly latenciesMs: number[];
  readonly results: T[];
  readonly errors: string[];
  readonly elapsedMs: number;
}

/**
 * Rejects when `work` takes longer than `timeoutMs`. A plain timer on purpose: an AbortSignal per
 * preview (timers/promises) costs the measured process a DOMException and an AbortError each time.
 */
function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A closed loop: `concurrency` workers, each starting its next preview when the last one ends. */
export async function closedLoop<T>(run: () => Promise<T>, options: LoopOptions): Promise<LoopOutcome<T>> {
  const latenciesMs: number[] = [];
  const results: T[] = [];
  const errors: string[] = [];
  const start = performance.now();
  const stopStartingAt = start + options.durationMs;
  let started = 0;

  async function worker(): Promise<void> {
    while (performance.now() < stopStartingAt && started < options.maxCount) {
      started += 1;
      const begin = performance.now();
      try {
        results.push(await withTimeout(run(), options.timeoutMs));
        latenciesMs.push(performance.now() - begin);
      } catch (error) {
        errors.push(error instanceof Error ? error.message : JSON.stringify(error));
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { latenciesMs, results, errors, elapsedMs: performance.now() - start };
}
