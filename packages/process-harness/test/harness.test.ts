import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnvironment, basicAuth, freePort, request, runToCompletion, startCountingServer, startService } from '../src/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A file with `source` in a temporary folder, removed after the test. */
async function script(name: string, source: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'process-harness-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  const path = join(directory, name);
  await writeFile(path, source);
  return path;
}

/** A minimal service: answers 200 and logs the line @natter/service-kit logs once it listens. */
const ECHO_SERVICE = `
import { createServer } from 'node:http';
const server = createServer((request, response) => response.end(JSON.stringify({ host: request.headers.host, auth: request.headers.authorization ?? null })));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', url: 'http://0.0.0.0:' + process.env.PORT })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

describe('the process harness', () => {
  it('when a service logs that it listens, then startService resolves with a loopback URL it answers on, and stop ends it', async () => {
    const port = await freePort();
    const service = await startService({ name: 'echo', entry: await script('echo.mjs', ECHO_SERVICE), env: { ...baseEnvironment(), PORT: String(port) } });
    cleanups.push(() => service.stop());
    expect(service.url).toBe(`http://127.0.0.1:${port}`);
    const response = await request(`${service.url}/`, { headers: { authorization: basicAuth('test', 'pass:word') } });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ host: `127.0.0.1:${port}`, auth: `Basic ${Buffer.from('test:pass:word').toString('base64')}` });
    expect(await service.stop()).toEqual({ code: 0, signal: null });
  });

  it('when a service exits before listening, then startService fails with its last output', async () => {
    const entry = await script('broken.mjs', "console.error('ConfigError: PORT must be a number'); process.exit(3);");
    await expect(startService({ name: 'broken', entry, env: baseEnvironment() })).rejects.toThrow(/broken exited \(code 3, signal null\) before listening\n.*\nConfigError: PORT must be a number/);
  });

  it('runs a one-shot command to its exit code, line by line', async () => {
    const lines: string[] = [];
    const code = await runToCompletion({ name: 'once', entry: await script('once.mjs', "console.log('migrated'); process.exit(5);"), env: baseEnvironment(), onLine: (line) => lines.push(line) });
    expect(code).toBe(5);
    expect(lines).toEqual(['migrated']);
  });

  it('counts the connections its page server accepts', async () => {
    const server = await startCountingServer('<title>hi</title>');
    cleanups.push(() => server.close());
    const page = await request(`http://127.0.0.1:${server.port}/`);
    expect(page.body).toBe('<title>hi</title>');
    expect(server.connections()).toBe(1);
  });
});
