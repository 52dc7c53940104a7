/** The production-dependency audit against an advisory service of our own on loopback. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, productionVersions, type AuditException } from '../audit.js';
import { freePort } from '@natter/process-harness';
import { temporaryDirectory } from './support/fixtures.js';

interface Advisory {
  id: number;
  url: string;
  title: string;
  severity: string;
  vulnerable_versions: string;
}

let answer: { status: number; body: Record<string, Advisory[]> } = { status: 200, body: {} };
const requests: { method: string; path: string; body: Record<string, string[]> }[] = [];
let server: Server;
let registry: string;
let work: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', body: body === '' ? {} : (JSON.parse(body) as Record<string, string[]>) });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.status === 200 ? JSON.stringify(answer.body) : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  work = await temporaryDirectory('natter-audit-');
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await work?.remove();
});
afterEach(() => {
  requests.length = 0;
  answer = { status: 200, body: {} };
});

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const koaVersion = () => productionVersions().get('koa')![0]!;
const advisory = (overrides: Partial<Advisory>): Advisory => ({
  id: 1001,
  url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
  title: 'Something bad',
  severity: 'high',
  vulnerable_versions: '*',
  ...overrides,
});

let exceptionFiles = 0;
async function exceptionsFile(exceptions: readonly AuditException[] | string): Promise<string> {
  exceptionFiles += 1;
  const path = join(work.path, `exceptions-${exceptionFiles}.json`);
  await writeFile(path, typeof exceptions === 'string' ? exceptions : JSON.stringify(exceptions));
  return path;
}

async function audit(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    const code = await main(['--exceptions', join(work.path, 'none.json'), ...args], env);
    return { code, output: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('npm run audit', () => {
  it('asks the bulk advisory endpoint about every locked production package and no development one', async () => {
    const { code, output } = await audit(['--registry', registry]);
    expect(code).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method).toBe('POST');
    expect(requests[0]!.path).toBe('/-/npm/v1/security/advisories/bulk');
    const asked = requests[0]!.body;
    expect(asked.koa).toEqual([koaVersion()]);
    for (const shipped of ['pg', 'pino', 'ipaddr.js', 'entities', '@koa/router']) expect(Object.keys(asked), shipped).toContain(shipped);
    for (const devOnly of ['vitest', 'supertest', 'got', 'cdk8s-cli', 'autocannon']) expect(Object.keys(asked), devOnly).not.toContain(devOnly);
    expect(output).toContain(`audit: ${Object.keys(asked).length} production packages, 0 advisories`);
  });

  it('fails on a high advisory affecting a locked version, lists a moderate one, ignores one for other versions', async () => {
    answer.body = {
      koa: [advisory({ severity: 'high', vulnerable_versions: `<=${koaVersion()}` }), advisory({ id: 1002, severity: 'critical', vulnerable_versions: '<0.0.1' })],
      pino: [advisory({ id: 1003, severity: 'moderate', title: 'Meh', url: 'https://github.com/advisories/GHSA-pino' })],
    };
    const { code, output } = await audit(['--registry', registry]);
    expect(code).toBe(1);
    expect(output).toContain(`FAILS    high koa@${koaVersion()}: Something bad (https://github.com/advisories/GHSA-aaaa-bbbb-cccc)`);
    expect(output).toMatch(/listed {3}moderate pino@\S+: Meh/);
    expect(output).not.toContain('critical');
    expect(output).toContain('audit: FAILED');
  });

  it('passes a high advisory that an unexpired exception accepts, and fails once it has expired', async () => {
    answer.body = { koa: [advisory({})] };
    const accepted = { advisory: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc', package: 'koa', reason: 'only reachable through X, which we do not use' };
    const valid = await audit(['--registry', registry, '--exceptions', await exceptionsFile([{ ...accepted, expires: inDays(30) }])]);
    expect(valid.code).toBe(0);
    expect(valid.output).toContain(`accepted high koa@${koaVersion()}: Something bad (https://github.com/advisories/GHSA-aaaa-bbbb-cccc) until ${inDays(30)}: only reachable through X`);
    const expired = await audit(['--registry', registry, '--exceptions', await exceptionsFile([{ ...accepted, expires: '2001-01-01' }])]);
    expect(expired.code).toBe(1);
    expect(expired.output).toContain('(its exception expired on 2001-01-01)');
  });

  it('names exceptions that no longer match any advisory', async () => {
    const stale = { advisory: '999', package: 'left-pad', reason: 'was fixed', expires: inDays(10) };
    const { code, output } = await audit(['--registry', registry, '--exceptions', await exceptionsFile([stale])]);
    expect(code).toBe(0);
    expect(output).toContain('unused exception for left-pad 999: remove it from audit-exceptions.json');
  });

  it('says the audit was skipped when the service refuses the query, and fails instead when the audit is required', async () => {
    answer.status = 405;
    const skipped = await audit(['--registry', registry]);
    expect(skipped.code).toBe(0);
    expect(skipped.output).toMatch(/^audit: SKIPPED: the advisory service could not be asked \(HTTP 405 from POST http:\/\/127\.0\.0\.1:\d+\/-\/npm\/v1\/security\/advisories\/bulk\); \d+ production packages unchecked$/);
    expect((await audit(['--registry', registry, '--required'])).code).toBe(1);
    const byEnvironment = await audit(['--registry', registry], { NATTER_AUDIT_REQUIRED: '1' });
    expect(byEnvironment.code).toBe(1);
    expect(byEnvironment.output).toContain('audit: FAILED (required)');
  });

  it('treats a registry nobody answers at as unavailable', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}/`;
    const { code, output } = await audit(['--registry', nobody]);
    expect(code).toBe(0);
    expect(output).toContain('audit: SKIPPED');
  });

  it.each([
    ['not JSON', '{'],
    ['not an array', '{}'],
    ['a missing reason', JSON.stringify([{ advisory: '1', package: 'koa', expires: '2999-01-01' }])],
    ['a malformed date', JSON.stringify([{ advisory: '1', package: 'koa', reason: 'x', expires: 'next year' }])],
    ['an exception longer than 90 days', JSON.stringify([{ advisory: '1', package: 'koa', reason: 'x', expires: inDays(120) }])],
  ])('exits 2 on an exceptions file with %s, asking nothing', async (_case, text) => {
    const { code, output } = await audit(['--registry', registry, '--exceptions', await exceptionsFile(text)]);
    expect(code).toBe(2);
    expect(output).toContain('usage: npm run audit');
    expect(requests).toEqual([]);
  });
});
