import type { ClientRequest } from 'node:http';

/**
 * One time budget for a whole preview, every redirect hop included: when it runs out, the request
 * in flight (and with it its socket and response) is destroyed. A plain timer rather than an
 * AbortSignal handed to `http.request`, which would cost every request an abort listener and an
 * end-of-stream watcher (and a premature-close error on every head-only read).
 */
export class Deadline {
  private expiredFlag = false;
  private inFlight: ClientRequest | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => {
      this.expiredFlag = true;
      this.inFlight?.destroy();
    }, timeoutMs);
  }

  /** Whether the budget ran out: whatever failed after that failed because of it. */
  get expired(): boolean {
    return this.expiredFlag;
  }

  /** Makes `request` the one destroyed when the budget runs out (at once if it already has). */
  track(request: ClientRequest): void {
    this.inFlight = request;
    if (this.expiredFlag) request.destroy();
  }

  /** Stops the timer once the preview is over. */
  clear(): void {
    clearTimeout(this.timer);
    this.inFlight = undefined;
  }
}
