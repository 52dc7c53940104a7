import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('when logging, then writes one JSON object per line with service, level and ISO time', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'link-preview', destination }).info({ status: 200 }, 'done');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'link-preview', level: 'info', msg: 'done', status: 200 });
    expect(new Date(String(lines[0]?.time)).toISOString()).toBe(lines[0]?.time);
  });

  it('when an object carries credentials, then they are redacted', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'natter-api', destination }).info(
      { password: 'hunter22', token: 'abc.def', req: { headers: { authorization: 'Basic dGVzdDpwYXNz', cookie: 'c=1' } } },
      'request',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of ['hunter22', 'abc.def', 'dGVzdDpwYXNz', 'c=1']) expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
  });
});
