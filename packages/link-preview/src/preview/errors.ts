/** The HTTP statuses a failed preview maps to; see the package README for when each is used. */
export type PreviewErrorStatus = 400 | 404 | 502 | 504;

/**
 * A preview that could not be produced. `reason` is short and safe to show to the caller: it never
 * names an address that was probed or any other internal detail.
 */
export class PreviewError extends Error {
  readonly expose = true;

  constructor(
    readonly status: PreviewErrorStatus,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'PreviewError';
  }
}

export const badUrl = (reason: string): PreviewError => new PreviewError(400, reason);
export const blockedDestination = (): PreviewError => new PreviewError(400, 'destination not allowed');
export const hostNotFound = (): PreviewError => new PreviewError(404, 'host not found');
export const upstreamFailure = (reason: string): PreviewError => new PreviewError(502, reason);
export const timedOut = (): PreviewError => new PreviewError(504, 'upstream timed out');
