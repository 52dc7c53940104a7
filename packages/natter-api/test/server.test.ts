import './support/timeouts.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL } from './support/database.js';
import { closedPort } from './support/preview-stub.js';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'server.ts');
const secrets = mkdtempSync(join(tmpdir(), 'natter-server-'));

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Runs src/server.ts as a real process (as `npm start` does) and waits for its "listening" line. */
function startServer(env: Record<string, string>): Promise<Started> {
  // PORT 0 only with an explicit allowlist (config refuses to guess it).
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', BIND_ADDRESS: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          lines.push(parsed);
          if (parsed['msg'] === 'listening') resolve({ child, url: String(parsed['url']), lines, exited });
        } catch {
          lines.push({ raw: line });
        }
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${JSON.stringify(lines)}`)));
  });
}

/** node:http rather than fetch: fetch will not send a Host header of our choosing. */
function call(url: string, host: string, options: { method?: string; body?: string } = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: host };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const request = httpRequest(url, { method: options.method ?? 'GET', headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}
const get = (url: string, host: string) => call(url, host);

describe('server process', () => {
  it('when configuration is invalid, then it exits with code 2 and a JSON line naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { env: { PATH: process.env['PATH'] ?? '', PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    const line = JSON.parse(output.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'fatal', variable: 'PORT' });
  });

  it('when started without a database, then the embedded one serves /health and /ready, and SIGTERM stops it cleanly', async () => {
    // A known free port, so the embedded mode's default allowlist (localhost/127.0.0.1 + port) applies.
    const port = await closedPort();
    const server = await startServer({ LOG_LEVEL: 'info', PORT: String(port) });
    try {
      const host = `127.0.0.1:${port}`;
      expect(await get(`${server.url}/health`, host)).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await get(`${server.url}/ready`, host)).toEqual({ status: 200, body: { status: 'ok' } });
      expect((await get(`${server.url}/health`, 'evil.example')).status).toBe(400);
      expect(server.lines.some((line) => line['level'] === 'warn' && String(line['msg']).includes('embedded'))).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    expect(server.lines.some((line) => line['msg'] === 'stopped')).toBe(true);
  });

  it.skipIf(TEST_DATABASE_URL === undefined)('when pointed at real PostgreSQL with secret files, then it connects as the API role', async () => {
    const database = await createTestDatabase();
    const server = await startServer({
      LOG_LEVEL: 'info',
      ALLOWED_HOSTS: 'api.natter.test',
      DATABASE_HOST: database.api!.host,
      DATABASE_PORT: String(database.api!.port),
      DATABASE_NAME: database.api!.database,
      DATABASE_USER: database.api!.user,
      DATABASE_PASSWORD_FILE: writeSecret('db', database.api!.password),
      HMAC_KEY_FILE: writeSecret('hmac', randomBytes(32).toString('base64')),
    }).catch(async (error: unknown) => {
      await database.close();
      throw error;
    });
    try {
      expect(await get(`${server.url}/ready`, 'api.natter.test')).toEqual({ status: 200, body: { status: 'ok' } });
      const created = await call(`${server.url}/users`, 'api.natter.test', {
        method: 'POST',
        body: JSON.stringify({ username: 'serverprocess', password: 'password1' }),
      });
      expect(created.status).toBe(201);
      expect(JSON.stringify(server.lines)).not.toContain(database.api!.password);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await database.close();
    }
  });
});

function writeSecret(name: string, value: string): string {
  const path = join(secrets, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}
