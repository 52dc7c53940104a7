/**
 * Concurrent writers posting messages to the real API for a bounded time and a bounded number of
 * requests, recording every outcome. Each message text is unique and never re-sent: a 503 is
 * followed by a new message, so a text stored twice can only be the server's doing.
 */
import { request } from '@natter/process-harness';

export interface WriteOutcome {
  readonly text: string;
  /** ms since the load started. */
  readonly sentAt: number;
  readonly answeredAt: number;
  /** The HTTP status, or `timeout` (no answer within the deadline) or `error` (the connection failed). */
  readonly status: number | 'timeout' | 'error';
  readonly retryAfter: string | undefined;
  /** From the `Location` of a 201. */
  readonly messageId: number | undefined;
  readonly detail: string | undefined;
}

export interface WriteLoadOptions {
  readonly baseUrl: string;
  readonly host: string;
  /** The space's `messages-rw` capability URI (path and `access_token`). */
  readonly capability: string;
  /** `Bearer …` of a session with the `post_message` scope. */
  readonly authorization: string;
  readonly author: string;
  readonly writers: number;
  readonly durationMs: number;
  /** The whole load stops at this many requests, whatever the time. */
  readonly maxRequests: number;
  /** Each request's deadline: no answer by then is a hang. */
  readonly deadlineMs: number;
  /** Pause after a 503 (shorter than its Retry-After, to probe an outage densely). */
  readonly backoffMs: number;
  /** Makes the texts unique across runs. */
  readonly runId: string;
}

/** Runs the writers; resolves with every outcome once all have stopped. */
export async function runWriteLoad(options: WriteLoadOptions, started = performance.now()): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  let sent = 0;
  const elapsed = (): number => performance.now() - started;
  const writer = async (index: number): Promise<void> => {
    for (let sequence = 0; elapsed() < options.durationMs && sent < options.maxRequests; sequence += 1) {
      sent += 1;
      const text = `${options.runId} writer ${index} message ${sequence}`;
      const sentAt = elapsed();
      const outcome = await post(options, text).then(
        (response) => ({ ...response, detail: undefined }),
        (error: Error) => ({ status: /timed out/.test(error.message) ? ('timeout' as const) : ('error' as const), retryAfter: undefined, messageId: undefined, detail: error.message }),
      );
      outcomes.push({ text, sentAt, answeredAt: elapsed(), ...outcome });
      if (outcome.status === 503) await new Promise((resolve) => setTimeout(resolve, options.backoffMs));
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, index) => writer(index)));
  return outcomes;
}

async function post(options: WriteLoadOptions, text: string): Promise<Pick<WriteOutcome, 'status' | 'retryAfter' | 'messageId'>> {
  const response = await request(`${options.baseUrl}${options.capability}`, {
    method: 'POST',
    headers: { host: options.host, authorization: options.authorization },
    json: { author: options.author, message: text },
    timeoutMs: options.deadlineMs,
  });
  const location = response.status === 201 ? /\/messages\/(\d+)$/.exec(String(response.headers.location ?? '')) : null;
  return { status: response.status, retryAfter: response.headers['retry-after'] as string | undefined, messageId: location === null ? undefined : Number(location[1]) };
}
