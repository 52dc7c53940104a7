import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** Headers every parser-error response carries unless a service names its own. */
export const DEFAULT_ERROR_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
};

/** The JSON body of an error response, in the service's own shape. */
export type ErrorBody = (status: number, reason: string) => Readonly<Record<string, unknown>>;

/** `{"status": <code>, "error": <reason>}`. */
export const defaultErrorBody: ErrorBody = (status, reason) => ({ status, error: reason });

const CLIENT_GONE: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** What the client did wrong, by Node's error code: a status and a reason safe to show. */
function classify(code: string | undefined): { status: number; reason: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, reason: 'request header fields too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, reason: 'request timeout' };
  return { status: 400, reason: 'malformed request' };
}

/** Set here from the body itself; a service's list cannot change them. */
const FRAMING_HEADERS: ReadonlySet<string> = new Set(['content-type', 'content-length', 'connection', 'transfer-encoding']);

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * A `clientError` listener: Node's HTTP parser rejected the request (bad chunking, a NUL in a
 * header, duplicate Content-Length, oversized headers) or the client was too slow. No app code
 * runs for it, so the answer is written here, as every error of the service is: a JSON body, the
 * security headers and `Connection: close`; then the connection is closed. Only the error's code
 * and the status are logged: the error itself holds the raw request (`rawPacket`).
 */
export function clientErrorHandler(options: {
  readonly logger: Logger;
  readonly body: ErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}): (error: Error & { code?: string }, socket: Socket) => void {
  // Node reports every later chunk of a broken connection again: answer once.
  const answered = new WeakSet<Socket>();
  return (error, socket) => {
    // The client has gone (reset, broken pipe, or its end of the connection closed mid-request):
    // nobody to answer, nothing it did wrong on the wire.
    if (CLIENT_GONE.has(error.code ?? '') || answered.has(socket)) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const { status, reason } = classify(error.code);
    options.logger.info({ code: error.code, status }, 'request rejected by the HTTP parser');
    // A response already under way cannot be replaced by another one.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(options.body(status, reason));
    const head = [
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...Object.entries(options.headers)
        .filter(([name]) => !FRAMING_HEADERS.has(name.toLowerCase()))
        .map(([name, value]) => `${name}: ${value}`),
      'Connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    // end() lets the answer drain; a client that never reads must not hold the socket open.
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}
