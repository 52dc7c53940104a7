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
  // Even a response whose body has arrived (a redirect's, say) ends only once it is read: until
  // then its socket is not returned to the pool and its request stays open, abort listener included.
  if (response.complete) {
    response.resume();
    return;
  }
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
