/** An error meant for the client: its status, message and headers are sent as they are. */
export class HttpError extends Error {
  readonly expose = true;

  constructor(
    readonly status: number,
    message: string,
    readonly headers?: Readonly<Record<string, string | string[]>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Stops the request with `{"error": message}`; declared `never` so TypeScript narrows after it. */
export function fail(status: number, message: string, headers?: Readonly<Record<string, string | string[]>>): never {
  throw new HttpError(status, message, headers);
}
