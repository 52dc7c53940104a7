import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { html, startFixture, type FixtureServer } from './support/fixture-server.js';
import { runToExit, startService, type SpawnedService } from './support/spawn-service.js';

const HOST = 'link-preview.test:4567';

/** A GET with an explicit Host header (fetch() may not set one), over loopback. */
function getJson(service: SpawnedService, path: string, host = HOST): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(`${service.url}${path}`, { headers: { host }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    }).on('error', reject);
  });
}

describe('process wiring', () => {
  const started: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((resource) => resource.close()));
  });
  const fixtureServing = async (body: string, host = '127.0.0.1'): Promise<FixtureServer> => {
    const fixture = await startFixture(html(body), { host });
    started.push(fixture);
    return fixture;
  };
  const running = async (...args: Parameters<typeof startService>): Promise<SpawnedService> => {
    const service = await startService(...args);
    started.push({ close: () => service.stop() });
    return service;
  };

  describe('production server (src/server.ts)', () => {
    it('when seam-looking variables are set, then loopback fixtures are still refused and never connected', async () => {
      const fixture = await fixtureServing('<title>must not be reachable</title>');
      const service = await running('src/server.ts', [], {
        PORT: '0',
        ALLOWED_HOSTS: HOST,
        PREVIEW_ALLOWED_PORTS: String(fixture.port),
        PREVIEW_ALLOWED_FIXTURE_RANGES: '127.0.0.0/8',
        ALLOWED_FIXTURE_RANGES: '127.0.0.0/8',
        ALLOW_FIXTURE_RANGE: '127.0.0.0/8',
        PREVIEW_LOOKUP: 'anything',
      });
      for (const target of [`http://127.0.0.1:${fixture.port}/`, `http://localhost:${fixture.port}/`]) {
        const { status, body } = await getJson(service, `/preview?url=${encodeURIComponent(target)}`);
        expect(status).toBe(400);
        expect(body).toEqual({ status: 400, error: 'destination not allowed' });
      }
      expect(fixture.connections).toBe(0);
    });

    it('when started with PORT and ALLOWED_HOSTS, then it listens on all interfaces, /health answers and SIGTERM stops it cleanly', async () => {
      const service = await startService('src/server.ts', [], { PORT: '0', ALLOWED_HOSTS: HOST });
      expect(service.stdout()).toMatch(/"url":"http:\/\/0\.0\.0\.0:\d+"/);
      expect(await getJson(service, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
      expect((await getJson(service, '/health', 'evil.example')).status).toBe(400);
      expect(await service.stop()).toBe(0);
      expect(service.stdout()).toContain('"msg":"stopped"');
    });

    it('when BIND_ADDRESS is loopback, then it listens on loopback only', async () => {
      const service = await startService('src/server.ts', [], { PORT: '0', ALLOWED_HOSTS: HOST, BIND_ADDRESS: '127.0.0.1' });
      expect(service.stdout()).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+"/);
      expect(await service.stop()).toBe(0);
    });

    it('fails to start when the configuration is invalid, naming the variable', async () => {
      const exited = await runToExit('src/server.ts', [], { PORT: '0', ALLOWED_HOSTS: HOST, PREVIEW_TIMEOUT_MS: 'soon' });
      expect(exited.code).toBe(1);
      expect(JSON.parse(exited.stderr.trim())).toMatchObject({ level: 'fatal', variable: 'PREVIEW_TIMEOUT_MS' });
    });
  });

  describe('test launcher (test/support/serve-with-fixture-allowance.ts)', () => {
    const launcher = 'test/support/serve-with-fixture-allowance.ts';

    it('fails without --allow-fixture-range', async () => {
      const exited = await runToExit(launcher, [], { PORT: '0', ALLOWED_HOSTS: HOST });
      expect(exited.code).toBe(2);
      expect(exited.stderr).toContain('--allow-fixture-range');
    });

    it('when given a fixture range, then fixtures inside it are previewed and those outside are refused', async () => {
      const inside = await fixtureServing('<title>inside</title>');
      const outside = await fixtureServing('<title>outside</title>', '127.0.0.2');
      const service = await running(launcher, ['--allow-fixture-range', '127.0.0.1/32'], {
        PORT: '0',
        ALLOWED_HOSTS: HOST,
        PREVIEW_ALLOWED_PORTS: `${inside.port},${outside.port}`,
      });
      expect(service.stdout()).toMatch(/"msg":"listening"/);
      const ok = await getJson(service, `/preview?url=${encodeURIComponent(`${inside.origin}/`)}`);
      expect(ok).toEqual({ status: 200, body: { url: `${inside.origin}/`, title: 'inside' } });
      const refused = await getJson(service, `/preview?url=${encodeURIComponent(`${outside.origin}/`)}`);
      expect(refused.status).toBe(400);
      expect(outside.connections).toBe(0);
    });

    it('when previews carry secrets in path, query, fragment and userinfo, then every log line names the host only', async () => {
      const page = await startFixture((request, response) => {
        if (request.url?.startsWith('/hop-')) {
          response.writeHead(302, { location: '/landing-SECRETPATH3?token=SECRETQUERY3' });
          response.end();
        } else if (request.url?.startsWith('/broken-')) {
          response.writeHead(500, { 'content-type': 'text/html' });
          response.end('<title>error</title>');
        } else {
          html('<title>page</title>')(request, response, page);
        }
      });
      started.push(page);
      const service = await running(launcher, ['--allow-fixture-range', '127.0.0.1/32'], {
        PORT: '0',
        ALLOWED_HOSTS: HOST,
        PREVIEW_ALLOWED_PORTS: String(page.port),
        LOG_LEVEL: 'debug',
      });
      const origin = `127.0.0.1:${page.port}`;
      const targets: Array<[string, number]> = [
        [`http://${origin}/SECRETPATH1?token=SECRETQUERY1#SECRETFRAGMENT1`, 200],
        [`http://${origin}/hop-SECRETPATH2?token=SECRETQUERY2`, 200],
        [`http://SECRETUSER4:SECRETPASSWORD4@${origin}/SECRETPATH4`, 400],
        [`http://SECRETUSER5@${origin}/SECRETPATH5`, 400],
        [`http://:SECRETPASSWORD6@${origin}/SECRETPATH6`, 400],
        [`http://${origin}/broken-SECRETPATH7?token=SECRETQUERY7`, 502],
        [`http://127.0.0.2:${page.port}/SECRETPATH8?token=SECRETQUERY8`, 400],
        [`http://${origin}/SECRETPATH9?token=${'x'.repeat(5000)}`, 400],
        [`not a URL SECRETPATH10`, 400],
      ];
      for (const [target, status] of targets) {
        expect((await getJson(service, `/preview?url=${encodeURIComponent(target)}`)).status, target).toBe(status);
      }
      await service.stop();
      const lines = service.stdout().split('\n').filter((line) => line !== '');
      expect(lines.filter((line) => /SECRET/.test(line))).toEqual([]);
      const previews = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'preview');
      expect(previews).toHaveLength(targets.length);
      for (const entry of previews) {
        expect(Object.keys(entry)).not.toContain('url');
        if (entry.host !== undefined) expect([origin, `127.0.0.2:${page.port}`]).toContain(entry.host);
      }
    }, 30_000);

    it('when proxy variables are set, then they are ignored and the page is fetched directly', async () => {
      const proxy = await fixtureServing('<title>proxied</title>');
      const page = await fixtureServing('<title>direct</title>');
      const proxyUrl = proxy.origin;
      const service = await running(launcher, ['--allow-fixture-range', '127.0.0.1/32'], {
        PORT: '0',
        ALLOWED_HOSTS: HOST,
        PREVIEW_ALLOWED_PORTS: `${page.port}`,
        HTTP_PROXY: proxyUrl,
        http_proxy: proxyUrl,
        HTTPS_PROXY: proxyUrl,
        ALL_PROXY: proxyUrl,
        NODE_USE_ENV_PROXY: '1',
      });
      const { body } = await getJson(service, `/preview?url=${encodeURIComponent(`${page.origin}/`)}`);
      expect(body).toMatchObject({ title: 'direct' });
      expect(proxy.connections).toBe(0);
    });
  });
});
