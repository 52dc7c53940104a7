/**
 * Sends bytes over a bare TCP socket and reads what comes back: the only way to send what no HTTP
 * client will (bad chunking, NUL bytes, duplicate lengths, HTTP/0.9, an HTTP/2 preface).
 */
import { connect } from 'node:net';

/** What one raw request got. */
export type RawOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** Lower-cased names; repeated headers keep every value. */
      readonly headers: Readonly<Record<string, readonly string[]>>;
      readonly body: string;
      readonly raw: string;
    }
  /** The server closed (or reset) the connection without answering. */
  | { readonly kind: 'closed' }
  /** Neither an answer nor a close within the deadline: a hang. */
  | { readonly kind: 'timeout'; readonly received: string };

/** Options for {@link sendRaw}. */
export interface SendRawOptions {
  /** How long to wait for a complete answer or a close. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Writes `chunks` one after another (each its own write) to 127.0.0.1:`port` and resolves with the
 * first response — complete once its `Content-Length` body has arrived, or at the close.
 */
export function sendRaw(port: number, chunks: readonly Buffer[], options: SendRawOptions = {}): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let done = false;
    const finish = (outcome: RawOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', received: Buffer.concat(received).toString('latin1') }), options.timeoutMs ?? 5000);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const parsed = parseResponse(Buffer.concat(received), false);
      if (parsed !== undefined) finish(parsed);
    });
    // A server that answers and closes while we are still writing makes our writes fail (EPIPE,
    // ECONNRESET): what it sent before is still the answer.
    const closed = (): void => finish(parseResponse(Buffer.concat(received), true) ?? { kind: 'closed' });
    socket.on('error', closed);
    socket.on('close', closed);
  });
}

/** The first response in `bytes`; `undefined` while incomplete (unless the connection is over). */
function parseResponse(bytes: Buffer, ended: boolean): RawOutcome | undefined {
  const text = bytes.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return ended && text.length > 0 ? malformed(text) : undefined;
  const [statusLine, ...headerLines] = text.slice(0, headEnd).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (status === null) return malformed(text);
  const headers: Record<string, string[]> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  const bodyBytes = bytes.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  const length = headers['content-length']?.[0];
  let body: Buffer | undefined;
  if (length !== undefined) {
    body = bodyBytes.length >= Number(length) ? bodyBytes.subarray(0, Number(length)) : undefined;
  } else if (headers['transfer-encoding']?.some((value) => /chunked/i.test(value))) {
    body = dechunk(bodyBytes);
  } else {
    // Neither: the body ends with the connection.
    body = ended ? bodyBytes : undefined;
  }
  if (body === undefined) return ended ? malformed(text) : undefined;
  return { kind: 'response', status: Number(status[1]), headers, body: body.toString('utf8'), raw: text };
}

/** Bytes that are not an HTTP/1.x response: reported as a response with status 0, which every check refuses. */
function malformed(text: string): RawOutcome {
  return { kind: 'response', status: 0, headers: {}, body: '', raw: text };
}

/** A complete chunked body, decoded; `undefined` until its last chunk has arrived. */
function dechunk(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset, 'latin1');
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (bytes.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}
