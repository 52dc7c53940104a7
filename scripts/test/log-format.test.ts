import { describe, expect, it } from 'vitest';
import { createLineFormatter } from '../lib/log-format.js';

describe('the dev log formatter', () => {
  const plain = createLineFormatter({ colour: false, width: 12 });

  it('when a line is a pino JSON object, then it shows time, service, level, message and the other fields', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-11-23T15:04:05.123Z', service: 'natter-api', msg: 'audit row not written', status: 503, path: '/spaces' });
    expect(plain('api', line)).toBe('15:04:05.123 api          WARN  audit row not written status=503 path=/spaces');
  });

  it('when a field is structured, then it is shown as JSON', () => {
    const line = JSON.stringify({ level: 'info', time: '2026-11-23T15:04:05.000Z', msg: 'preview', err: { message: 'boom' } });
    expect(plain('link-preview', line)).toBe('15:04:05.000 link-preview INFO  preview err={"message":"boom"}');
  });

  it('when a line is not JSON, then it is shown unchanged under the same prefix', () => {
    expect(plain('api', 'node: warning: something')).toMatch(/^\d\d:\d\d:\d\d\.\d{3} api {10}node: warning: something$/);
  });

  it('when colour is on, then the level is coloured and the text is unchanged', () => {
    const coloured = createLineFormatter({ colour: true, width: 4 });
    const line = JSON.stringify({ level: 'error', time: '2026-11-23T15:04:05.000Z', msg: 'failed' });
    const output = coloured('api', line);
    expect(output).toContain('\u001b[31mERROR\u001b[0m');
    expect(output.replace(/\u001b\[\d+m/g, '')).toBe('15:04:05.000 api  ERROR failed');
  });
});
