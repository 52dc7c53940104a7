import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk).trimEnd());
      done();
    },
  });
  return { lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), destination };
}

// Planted credentials: none of these may appear in any line, in any encoding.
const TOKEN = 'Zx8p1mQv0kLr3TtYw6NsA2bCdEf.Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0X1c';
const PASSWORD = 'hunter22-planted';
const CAPABILITY = 'cApAbIlItY-pLaNtEd-0123456789';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
const COOKIE = 'sid=planted-cookie-value';
const PLANTED = [TOKEN, PASSWORD, CAPABILITY, BASIC, COOKIE];

function expectNoSecret(lines: readonly string[]): void {
  for (const line of lines) for (const secret of PLANTED) expect(line, line).not.toContain(secret);
}

/** What Node's HTTP parser hands `clientError` listeners and Koa: the raw request rides along. */
function parserError(): Error {
  const raw = `POST /spaces/1/messages?access_token=${CAPABILITY} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nCookie: ${COOKIE}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{"password":"${PASSWORD}"}\r\n`;
  return Object.assign(new Error('Parse Error: Invalid character in chunk size'), {
    code: 'HPE_INVALID_CHUNK_SIZE',
    bytesParsed: 120,
    reason: 'Invalid character in chunk size',
    rawPacket: Buffer.from(raw.repeat(200)),
  });
}

describe('createLogger', () => {
  it('when logging, then writes one JSON object per line with service, level and ISO time', () => {
    const { parsed, destination } = capture();
    createLogger({ name: 'link-preview', destination }).info({ status: 200 }, 'done');
    const lines = parsed();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'link-preview', level: 'info', msg: 'done', status: 200 });
    expect(new Date(String(lines[0]?.time)).toISOString()).toBe(lines[0]?.time);
  });

  it('when an object carries credentials under their usual names, at any depth, then they are redacted', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'natter-api', destination }).info(
      {
        password: PASSWORD,
        token: TOKEN,
        req: { headers: { authorization: `Basic ${BASIC}`, cookie: COOKIE } },
        res: { headers: { 'set-cookie': [COOKIE] } },
        deeply: { nested: { request: { headers: { Authorization: `Bearer ${TOKEN}`, 'Proxy-Authorization': `Basic ${BASIC}` }, access_token: CAPABILITY } } },
        rawHeaders: ['Authorization', `Bearer ${TOKEN}`, 'Cookie', COOKIE],
      },
      'request',
    );
    expectNoSecret(lines);
    expect(lines[0]).toContain('[redacted]');
  });

  it('when a Node HTTP parser error is logged (as err, nested, or on its own), then its rawPacket never is, and it keeps code and message', () => {
    const { lines, parsed, destination } = capture();
    const logger = createLogger({ name: 'natter-api', destination });
    logger.error({ err: parserError() }, 'unhandled application error');
    logger.warn({ error: parserError(), context: { cause: parserError() } }, 'client error');
    logger.error(parserError());
    logger.error(new Error('request failed', { cause: parserError() }));
    expectNoSecret(lines);
    for (const line of lines) {
      expect(line).not.toContain('rawPacket');
      expect(line).not.toContain('"type":"Buffer"');
    }
    expect(parsed()[0]).toMatchObject({ err: { type: 'Error', message: 'Parse Error: Invalid character in chunk size', code: 'HPE_INVALID_CHUNK_SIZE', bytesParsed: 120 } });
    expect(parsed()[3]).toMatchObject({ err: { message: 'request failed', cause: { code: 'HPE_INVALID_CHUNK_SIZE' } } });
  });

  it('when text embeds credentials (a capability URL, header lines, an Authorization value, a JSON body), then they are censored', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'natter-api', destination });
    logger.info({ url: `/spaces/1/messages/2?access_token=${CAPABILITY}&x=1` }, 'a capability URL');
    logger.info({ link: `http://link-preview/preview?url=${encodeURIComponent(`https://e.example/?access_token=${CAPABILITY}`)}` }, 'an encoded one');
    logger.info({ raw: `GET / HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nCookie: ${COOKIE}\r\n\r\n` }, 'header lines');
    logger.info({ note: `got Basic ${BASIC} and Bearer ${TOKEN}` }, `message with ?access_token=${CAPABILITY}`);
    logger.info({ body: `{"username":"alice","password":"${PASSWORD}"}` }, 'a body');
    logger.info('format %s', `Bearer ${TOKEN}`);
    expectNoSecret(lines);
    expect(JSON.parse(lines[0]!).url).toBe('/spaces/1/messages/2?access_token=[redacted]&x=1');
  });

  it('when the service names its own token shape, then a token is censored even where nothing names it', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'natter-api', destination, redactPatterns: [/[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}/g] }).warn({ reason: `lookup of ${TOKEN} failed` }, 'x');
    expectNoSecret(lines);
  });

  it('when a field is huge, deep or long, then every line stays bounded', () => {
    const { lines, parsed, destination } = capture();
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let level = 0; level < 50; level += 1) deep = { deep };
    createLogger({ name: 'natter-api', destination }).error(
      { big: 'a'.repeat(200_000), list: Array.from({ length: 10_000 }, (_, index) => index), deep, wide: Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`k${index}`, index])) },
      'b'.repeat(100_000),
    );
    expect(Buffer.byteLength(lines[0]!)).toBeLessThan(8 * 1024);
    const line = parsed()[0]!;
    expect(line['big']).toMatch(/^a{1024}…\[198976 more characters\]$/);
    expect(line['list']).toHaveLength(33);
  });
});
