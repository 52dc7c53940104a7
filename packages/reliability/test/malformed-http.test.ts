/**
 * The malformed-HTTP table (src/malformed-requests.ts) against both real services: every row gets
 * a JSON 4xx with the service's security headers or a closed connection — never a 5xx, a bare
 * error page or a hang — and the service answers a normal request right afterwards.
 */
import { rawRequest, request } from '@natter/process-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWithDatabase, type ApiWithDatabase } from '../src/api-with-database.js';
import { malformedRequests } from '../src/malformed-requests.js';
import { plantSecrets } from '../src/planted-secrets.js';
import { startLinkPreview, type RunningService } from '../src/services.js';
import { API_HEADERS, judge, LINK_PREVIEW_HEADERS, type HeaderContract, type Verdict } from '../src/verdict.js';

/** An answer (or a close) is due at once… */
const PROMPT_DEADLINE_MS = 5000;
/** …or, for a request a server may wait on, by the headers timeout (service-kit's serve: 10 s) plus its check period and slack. */
const HEADERS_TIMEOUT_DEADLINE_MS = 10_000 + 5000;

interface ServiceCase {
  readonly name: string;
  readonly service: () => RunningService;
  readonly contract: HeaderContract;
  /** A path the service answers with a 4xx for a bodyless GET or a POST of `{}`. */
  readonly path: string;
}

let apiWithDatabase: ApiWithDatabase;
let linkPreview: RunningService;
const SERVICES: ServiceCase[] = [
  { name: 'natter-api', service: () => apiWithDatabase.api, contract: API_HEADERS, path: '/spaces/1/messages' },
  { name: 'link-preview', service: () => linkPreview, contract: LINK_PREVIEW_HEADERS, path: '/preview' },
];
const secrets = plantSecrets();
const ROWS = malformedRequests({ host: 'h', path: '/', secrets });
/** Every verdict: row → service → verdict, for the printed table. */
const verdicts = new Map<string, Map<string, Verdict>>();

beforeAll(async () => {
  [apiWithDatabase, linkPreview] = await Promise.all([startApiWithDatabase(), startLinkPreview({ allowedPort: 9 })]);
});
afterAll(async () => {
  await Promise.all([apiWithDatabase?.stop(), linkPreview?.stop()]);
  const shown = (verdict: Verdict | undefined): string => (verdict === undefined ? '-' : verdict.kind === 'json-4xx' ? `JSON ${verdict.status}` : verdict.kind === 'closed' ? 'closed' : `FAILED ${verdict.status ?? 'hang'}`);
  const width = Math.max(...ROWS.map((row) => row.name.length));
  const lines = [...verdicts].map(([row, byService]) => `  ${row.padEnd(width)}  ${SERVICES.map(({ name }) => shown(byService.get(name)).padEnd(12)).join('  ')}`);
  const all = [...verdicts.values()].flatMap((byService) => [...byService.values()]);
  const count = (kind: Verdict['kind']): number => all.filter((verdict) => verdict.kind === kind).length;
  const fivexx = all.filter((verdict) => verdict.kind === 'failed' && (verdict.status ?? 0) >= 500).length;
  console.log(
    [
      `  ${'row'.padEnd(width)}  ${SERVICES.map(({ name }) => name.padEnd(12)).join('  ')}`,
      ...lines,
      `malformed HTTP: ${verdicts.size} rows × ${SERVICES.length} services = ${all.length} requests: JSON 4xx=${count('json-4xx')}, closed=${count('closed')}, failed=${count('failed')}, 5xx=${fivexx}`,
    ].join('\n'),
  );
});

describe('malformed HTTP against both services', () => {
  it.each(ROWS.map((row) => row.name))('%s: a JSON 4xx with the security headers or a close, then the service still answers', async (rowName) => {
    const results = await Promise.all(
      SERVICES.map(async ({ name, service, contract, path }) => {
        const row = malformedRequests({ host: service().host, path, secrets }).find((candidate) => candidate.name === rowName)!;
        const timeoutMs = row.waitsForHeadersTimeout === true ? HEADERS_TIMEOUT_DEADLINE_MS : PROMPT_DEADLINE_MS;
        const verdict = judge(await rawRequest(`http://127.0.0.1:${service().port}`, row.payload, { until: 'response', waitMs: timeoutMs }), contract);
        verdicts.set(rowName, (verdicts.get(rowName) ?? new Map<string, Verdict>()).set(name, verdict));
        const health = await request(`http://127.0.0.1:${service().port}/health`, { headers: { host: service().host }, timeoutMs: PROMPT_DEADLINE_MS });
        return { name, verdict: verdict.kind === 'failed' ? verdict.reason : verdict.kind, health: health.status, exit: service().exit() };
      }),
    );
    expect(results).toEqual(SERVICES.map(({ name }) => ({ name, verdict: expect.stringMatching(/^(json-4xx|closed)$/), health: 200, exit: undefined })));
  });
});
