import type { IncomingMessage } from 'node:http';

/**
 * Largest response (in raw bytes) whose unread remainder is read and dropped so the kept-alive
 * socket can be reused; anything larger is cut off. Equal to one socket read, so a preview still
 * never reads more than 64 KiB from a page just to save a reconnect.
 */
const REUSE_LIMIT_BYTES = 64 * 1024;
/** A remainder that is not delivered within this time is not worth waiting for. */
const DRAIN_TIMEOUT_MS = 1000;

/** Stops reading a response we are done with: drains a small known remainder, otherwise destroys it. */
export function releaseResponse(response: IncomingMessage, rawBytesRead: number): void {
  if (response.complete) return;
  const declaredLength = Number(response.headers['content-length'] ?? Number.NaN);
  if (!(declaredLength <= REUSE_LIMIT_BYTES && rawBytesRead <= declaredLength)) {
    response.destroy();
    return;
  }
  const guard = setTimeout(() => response.destroy(), DRAIN_TIMEOUT_MS);
  guard.unref();
  response.once('close', () => clearTimeout(guard));
  response.resume();
}
