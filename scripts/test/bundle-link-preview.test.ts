import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleService, type BundleResult } from '../bundle.js';
import { request, linkPreviewEnvironment, freePort, startService, type ServiceProcess, startCountingServer, type CountingServer } from '@natter/process-harness';
import { temporaryDirectory } from './support/fixtures.js';

describe('the link-preview production bundle', () => {
  let outDir: { path: string; remove(): Promise<void> };
  let bundle: BundleResult;
  let source: string;
  let fixture: CountingServer;
  let service: ServiceProcess;
  let host: string;

  beforeAll(async () => {
    outDir = await temporaryDirectory('natter-bundle-lp-');
    bundle = await bundleService('link-preview', outDir.path);
    source = await readFile(join(outDir.path, 'server.mjs'), 'utf8');
    fixture = await startCountingServer('<html><head><title>Loopback fixture</title></head></html>');
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    service = await startService({
      name: 'link-preview (bundle)',
      entry: join(outDir.path, 'server.mjs'),
      cwd: outDir.path,
      env: {
        ...linkPreviewEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [host] }),
        NODE_ENV: 'production',
        // Let the fixture's port through, so that only the address check stands between the
        // production bundle and the loopback fixture.
        PREVIEW_ALLOWED_PORTS: String(fixture.port),
      },
    });
  });

  afterAll(async () => {
    await service?.stop();
    await fixture?.close();
    await outDir?.remove();
  });

  it('is one ESM file and nothing else', () => {
    expect(bundle.outputs.map((output) => output.slice(outDir.path.length + 1))).toEqual(['server.mjs']);
  });

  it('contains no test or benchmark code', () => {
    expect(bundle.inputs.filter((input) => /^packages\/[^/]+\/(test|bench)\//.test(input))).toEqual([]);
    expect(bundle.inputs).toContain('packages/link-preview/src/server.ts');
    expect(source).not.toContain('serve-with-fixture-allowance');
    expect(source).not.toContain('allow-fixture-range');
    expect(source).not.toContain('TEST LAUNCHER');
  });

  it('never sets the fixture allowance: it is only read from the previewer options', () => {
    const uses = [...source.matchAll(/allowedFixtureRanges/g)].map((match) => source.slice(match.index - 12, match.index + 24));
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) {
      // A read of the constructor option (`options.allowedFixtureRanges`) or the text of an error message.
      expect(use).toMatch(/\.allowedFixtureRanges|`allowedFixtureRanges/);
    }
  });

  it('runs with plain node and answers the health probe for an allowed Host', async () => {
    const response = await request(`${service.url}/health`, { headers: { host } });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('rejects a foreign Host before any work', async () => {
    const response = await request(`${service.url}/health`, { headers: { host: 'rebound.attacker.example' } });
    expect(response.status).toBe(400);
  });

  it('refuses a loopback link without ever connecting to it (no fixture allowance in production)', async () => {
    const target = encodeURIComponent(`http://127.0.0.1:${fixture.port}/page`);
    const response = await request(`${service.url}/preview?url=${target}`, { headers: { host } });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ status: 400, error: 'destination not allowed' });
    expect(fixture.connections()).toBe(0);
  });
});
