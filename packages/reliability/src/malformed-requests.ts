/**
 * The malformed-HTTP table: requests no well-behaved client sends, each complete enough that a
 * server can decide at once (so a missing answer is a hang, not a wait for more bytes). Every row
 * carries planted credentials where its syntax allows, so the same table feeds the log scan.
 * Rows that Node's own HTTP parser rejects reach the services through the server's `clientError`
 * event; the rest go through the Koa pipeline. Either way the answer must be a JSON 4xx or a close.
 */
import { basicHeaderValue, type PlantedSecrets } from './planted-secrets.js';

/** Where a row is aimed. */
export interface MalformedTarget {
  /** A `Host` value on the service's allowlist. */
  readonly host: string;
  /** A path both services answer with a 4xx for a bodyless GET or a POST of `{}`. */
  readonly path: string;
  readonly secrets: PlantedSecrets;
}

export interface MalformedRequest {
  readonly name: string;
  /** The bytes on the wire. */
  readonly payload: Buffer;
  /**
   * Rows a server may rightly leave waiting for more bytes end with its headers timeout: they get
   * that long (plus the timeout check's period) before they count as a hang.
   * @default - the prompt deadline every other row has
   */
  readonly waitsForHeadersTimeout?: boolean;
}

const CRLF = '\r\n';

/** A request head: the request line, the header lines, the empty line. */
function head(requestLine: string, headers: readonly string[]): string {
  return `${requestLine}${CRLF}${headers.map((header) => `${header}${CRLF}`).join('')}${CRLF}`;
}

export function malformedRequests(target: MalformedTarget): MalformedRequest[] {
  const { host, secrets } = target;
  const path = `${target.path}${target.path.includes('?') ? '&' : '?'}access_token=${secrets.accessToken}`;
  const bearer = `Authorization: Bearer ${secrets.bearer}`;
  const basic = `Authorization: ${basicHeaderValue(secrets)}`;
  const cookie = `Cookie: session=${secrets.cookie}`;
  const json = 'Content-Type: application/json';
  const credentialed = (index: number): string[] => [`Host: ${host}`, index % 2 === 0 ? bearer : basic, cookie];
  const post = (index: number, extra: readonly string[], body: string | Buffer): Buffer[] => [
    Buffer.from(head(`POST ${path} HTTP/1.1`, [...credentialed(index), ...extra]), 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
  ];
  const chunked = (index: number, body: string): Buffer[] => post(index, [json, 'Transfer-Encoding: chunked'], body);
  const withBody = (index: number, body: string | Buffer, type = json): Buffer[] =>
    post(index, [type, `Content-Length: ${typeof body === 'string' ? Buffer.byteLength(body, 'latin1') : body.length}`], body);
  const raw = (text: string): Buffer[] => [Buffer.from(text, 'latin1')];
  const get = (index: number, requestLine: string, extra: readonly string[] = []): Buffer[] => raw(head(requestLine, [...credentialed(index), ...extra]));
  const eightKb = 'x'.repeat(8 * 1024);

  const rows: [string, (index: number) => readonly Buffer[], { waitsForHeadersTimeout: true }?][] = [
    // Chunked bodies
    ['chunked: invalid chunk size', (i) => chunked(i, `zz${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['chunked: chunk size overflows 64 bits', (i) => chunked(i, `fffffffffffffffffff${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['chunked: chunk longer than its size', (i) => chunked(i, `1${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['chunked: no CRLF after the chunk data', (i) => chunked(i, `2${CRLF}{}0${CRLF}${CRLF}`)],
    ['chunked: NUL in a chunk extension', (i) => chunked(i, `2;\0${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    // NUL bytes and control characters
    ['NUL byte in a header value', (i) => get(i, `GET ${path} HTTP/1.1`, ['X-Note: a\0b'])],
    ['NUL byte in a header name', (i) => get(i, `GET ${path} HTTP/1.1`, ['X-No\0te: a'])],
    ['NUL byte in the request target', (i) => get(i, `GET ${path}%00\0 HTTP/1.1`)],
    ['control characters in the request target', (i) => get(i, `GET ${path}\x7f\x01 HTTP/1.1`)],
    ['percent-encoded NUL and invalid escapes in the target', (i) => get(i, `GET /%00/%zz/%ff%fe?access_token=${secrets.accessToken}%00 HTTP/1.1`)],
    // Message length
    ['duplicate Content-Length (different values)', (i) => post(i, [json, 'Content-Length: 2', 'Content-Length: 3'], '{} ')],
    ['duplicate Content-Length (same value)', (i) => post(i, [json, 'Content-Length: 2', 'Content-Length: 2'], '{}')],
    ['Content-Length as a list', (i) => post(i, [json, 'Content-Length: 2, 2'], '{}')],
    ['Content-Length and Transfer-Encoding: chunked', (i) => post(i, [json, 'Content-Length: 7', 'Transfer-Encoding: chunked'], `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['Transfer-Encoding that does not end in chunked', (i) => post(i, [json, 'Transfer-Encoding: gzip'], '{}')],
    ['Transfer-Encoding with a space before the colon', (i) => post(i, [json, 'Transfer-Encoding : chunked'], `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['negative Content-Length', (i) => post(i, [json, 'Content-Length: -1'], '{}')],
    ['non-numeric Content-Length', (i) => post(i, [json, 'Content-Length: two'], '{}')],
    ['Content-Length beyond 2^64', (i) => post(i, [json, 'Content-Length: 99999999999999999999999'], '{}')],
    // Size
    ['100 headers of 8 KB', (i) => get(i, `GET ${path} HTTP/1.1`, Array.from({ length: 100 }, (_, n) => `X-Filler-${n}: ${eightKb}`))],
    ['one header of 64 KB', (i) => get(i, `GET ${path} HTTP/1.1`, [`X-Big: ${'y'.repeat(64 * 1024)}`])],
    ['request target of 64 KB', (i) => get(i, `GET ${path}&pad=${'z'.repeat(64 * 1024)} HTTP/1.1`)],
    // Request targets
    ['absolute-form target with a foreign authority', (i) => get(i, `GET http://evil.example${path} HTTP/1.1`)],
    ['absolute-form target with userinfo', (i) => get(i, `GET http://${secrets.basicUser}:${secrets.basicPassword}@${host}${path} HTTP/1.1`)],
    ['asterisk-form target with OPTIONS', (i) => get(i, 'OPTIONS * HTTP/1.1')],
    ['asterisk-form target with GET', (i) => get(i, 'GET * HTTP/1.1')],
    // Versions and framing
    // An HTTP/0.9 request line reads to Node's parser as an HTTP/1 request line still to be continued.
    ['HTTP/0.9 simple request', () => raw(`GET ${path}${CRLF}`), { waitsForHeadersTimeout: true }],
    ['HTTP/2 connection preface', () => [Buffer.from(`PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`, 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]],
    ['HTTP/1.2 request', (i) => get(i, `GET ${path} HTTP/1.2`)],
    ['HTTP/3.0 request', (i) => get(i, `GET ${path} HTTP/3.0`)],
    ['invalid method token', (i) => get(i, `G\x01T ${path} HTTP/1.1`)],
    ['header line without a colon', (i) => get(i, `GET ${path} HTTP/1.1`, ['X-Broken header'])],
    ['obsolete line folding', (i) => get(i, `GET ${path} HTTP/1.1`, [`X-Folded: a${CRLF} b`])],
    ['bare LF line endings', (i) => raw(`POST ${path} HTTP/1.1\nHost: ${host}\n${i % 2 === 0 ? bearer : basic}\n${cookie}\n${json}\nContent-Length: 2\n\n{}`)],
    ['HTTP/1.1 request without Host', () => raw(head(`GET ${path} HTTP/1.1`, [bearer, cookie]))],
    ['two different Host headers', (i) => get(i, `GET ${path} HTTP/1.1`, ['Host: evil.example'])],
    ['an expectation the server cannot meet', (i) => post(i, [json, 'Expect: 200-ok', 'Content-Length: 2'], '{}')],
    ['Upgrade to h2c', (i) => get(i, `GET ${path} HTTP/1.1`, ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'])],
    // Bodies
    ['invalid UTF-8 in a JSON body', (i) => withBody(i, Buffer.concat([Buffer.from('{"message":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')]))],
    ['lone surrogate escape in JSON', (i) => withBody(i, '{"message":"\\ud800"}')],
    ['NUL escape in JSON', (i) => withBody(i, '{"message":"a\\u0000b","author":"\\u0000"}')],
    ['truncated JSON body', (i) => withBody(i, '{"message":')],
    ['JSON declared as latin1', (i) => withBody(i, '{}', 'Content-Type: application/json; charset=latin1')],
    ['body longer than its Content-Length', (i) => post(i, [json, 'Content-Length: 2'], `{}GET / HTTP/1.1${CRLF}${CRLF}`)],
  ];
  return rows.map(([name, build, options], index) => ({ name, payload: Buffer.concat(build(index)), ...options }));
}
