/** The suite's own yardstick: what counts as a proper refusal of a malformed request. */
import type { RawExchange } from '@natter/process-harness';
import { describe, expect, it } from 'vitest';
import { judge, LINK_PREVIEW_HEADERS } from '../src/verdict.js';

const CONTRACT_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

function exchange(fields: Partial<RawExchange>): RawExchange {
  return { raw: 'HTTP/1.1 …', status: undefined, headers: {}, body: '', closedByServer: false, ...fields };
}

describe('judge', () => {
  it('when the answer is a 4xx with a JSON error and the contract headers, then it is a JSON 4xx', () => {
    expect(judge(exchange({ status: 400, headers: CONTRACT_HEADERS, body: '{"status":400,"error":"malformed request"}' }), LINK_PREVIEW_HEADERS)).toEqual({ kind: 'json-4xx', status: 400 });
  });

  it('when the server closed without a byte, then it is a close', () => {
    expect(judge(exchange({ raw: '', closedByServer: true }), LINK_PREVIEW_HEADERS)).toEqual({ kind: 'closed' });
  });

  it.each([
    ["Node's bare 400 (no body, no headers)", exchange({ status: 400, headers: { connection: 'close' } })],
    ['a 5xx, however well dressed', exchange({ status: 500, headers: CONTRACT_HEADERS, body: '{"error":"internal error"}' })],
    ['a 2xx', exchange({ status: 200, headers: CONTRACT_HEADERS, body: '{"error":"x"}' })],
    ['a 4xx without one contract header', exchange({ status: 400, headers: { ...CONTRACT_HEADERS, 'cache-control': 'public' }, body: '{"error":"x"}' })],
    ['a 4xx naming its server', exchange({ status: 400, headers: { ...CONTRACT_HEADERS, server: 'node' }, body: '{"error":"x"}' })],
    ['a 4xx whose body is not JSON', exchange({ status: 400, headers: CONTRACT_HEADERS, body: 'Bad Request' })],
    ['a 4xx whose JSON has no error message', exchange({ status: 400, headers: CONTRACT_HEADERS, body: '{"status":400}' })],
    ['bytes that are no HTTP/1.x response', exchange({ raw: 'SSH-2.0-x', closedByServer: true })],
    ['neither an answer nor a close (a hang)', exchange({ raw: '' })],
  ])('when the answer is %s, then it fails', (_name, answer) => {
    expect(judge(answer, LINK_PREVIEW_HEADERS).kind).toBe('failed');
  });
});
