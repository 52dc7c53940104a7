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
  /** The first response's body (by Content-Length, a chunked one decoded, else all that followed the headers). */
  readonly body: string;
  /** The server closed the connection before the wait ended. */
  readonly closedByServer: boolean;
}

export interface RawRequestOptions {
  /** Written after `payload`, once `delayMs` has passed (a client that trickles its request). */
  readonly then?: { readonly delayMs: number; readonly payload: string | Buffer };
  /** How long to wait for the server to close the connection. @default 5000 */
  readonly waitMs?: number;
  /**
   * `response`: stop as soon as the first response is complete (its Content-Length read, or its
   * last chunk), so an answer on a kept-alive connection costs no wait; with neither the server
   * closing nor a complete answer within `waitMs`, `status` stays undefined and `closedByServer`
   * false — a hang. `close`: collect until the server closes or `waitMs` passes.
   * @default 'close'
   */
  readonly until?: 'close' | 'response';
}

/** Writes `payload` and collects what comes back until the server closes (or answers, see `until`) or `waitMs` passes. */
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
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.until === 'response' && firstResponseComplete(Buffer.concat(chunks).toString('latin1'))) finish();
    });
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

/** True once `raw` holds a whole first response: its head, and its Content-Length or last chunk. */
function firstResponseComplete(raw: string): boolean {
  const exchange = parse(raw, false);
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0 || exchange.status === undefined) return false;
  const length = exchange.headers['content-length'];
  if (length !== undefined) return Buffer.byteLength(raw.slice(end + 4), 'latin1') >= Number(length);
  return /chunked/i.test(exchange.headers['transfer-encoding'] ?? '') && dechunk(raw.slice(end + 4)) !== undefined;
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
  const chunked = length === undefined && /chunked/i.test(headers['transfer-encoding'] ?? '') ? dechunk(rest) : undefined;
  return {
    raw,
    status: status === undefined ? undefined : Number(status),
    headers,
    body: length !== undefined ? rest.slice(0, length) : (chunked ?? rest),
    closedByServer,
  };
}

/** A complete chunked body, decoded; undefined until its last chunk has arrived. */
function dechunk(text: string): string | undefined {
  let body = '';
  for (let offset = 0; ; ) {
    const lineEnd = text.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(text.slice(offset, lineEnd), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return body;
    if (text.length < lineEnd + 2 + size + 2) return undefined;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    offset = lineEnd + 2 + size + 2;
  }
}
