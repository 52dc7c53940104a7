/**
 * Bytes on a TCP socket, for requests no HTTP client will send (a bad chunk size, a NUL in a
 * header, duplicate Content-Length, a header that never ends): what Node's own HTTP parser sees.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  readonly raw: string;
  /** The first response's status, or undefined when the server sent none. */
  readonly status: number | undefined;
  /** The first response's headers, names lower-cased (a repeated header keeps its last value). */
  readonly headers: Readonly<Record<string, string>>;
  /** The first response's body (by Content-Length, else all that followed the headers). */
  readonly body: string;
  /** The server closed the connection before the wait ended. */
  readonly closedByServer: boolean;
}

export interface RawRequestOptions {
  /** Written after `payload`, once `delayMs` has passed (a client that trickles its request). */
  readonly then?: { readonly delayMs: number; readonly payload: string | Buffer };
  /** How long to wait for the server to close the connection. @default 5000 */
  readonly waitMs?: number;
}

/** Writes `payload` and collects what comes back until the server closes or `waitMs` passes. */
export function rawRequest(url: string, payload: string | Buffer, options: RawRequestOptions = {}): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port) });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const finish = (): void => {
      clearTimeout(timer);
      clearTimeout(later);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks).toString('latin1'), closedByServer));
    };
    const timer = setTimeout(finish, options.waitMs ?? 5000);
    let later: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server answered is a close; before any byte it is a failure to report.
      if (chunks.length > 0 || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        closedByServer = true;
        finish();
      } else {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.write(payload);
    if (options.then !== undefined) {
      const { delayMs, payload: rest } = options.then;
      later = setTimeout(() => {
        if (!socket.destroyed) socket.write(rest);
      }, delayMs);
    }
  });
}

function parse(raw: string, closedByServer: boolean): RawExchange {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = end < 0 ? '' : raw.slice(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  return {
    raw,
    status: status === undefined ? undefined : Number(status),
    headers,
    body: length === undefined ? rest : rest.slice(0, length),
    closedByServer,
  };
}
