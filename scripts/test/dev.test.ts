import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../bundle.js';
import { request, connectionFromUrl, createSecretsDirectory, ENTRIES, migrationEnvironment, baseEnvironment, freePort, nodeArguments, runToCompletion } from '@natter/process-harness';
import { asSuperuser, SUPERUSER_URL } from './support/postgres.js';

interface DevRun {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly linkPreviewUrl: string;
  readonly secretsPath: string;
  output(): string;
}

const running: ChildProcess[] = [];

const HAS_CURL_AND_JQ = ['curl', 'jq'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);

/** `scripts/dev.ts` run as `npm run dev` runs it, its output collected line by line. */
function spawnDev(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, nodeArguments(join(REPO_ROOT, 'scripts/dev.ts'), args), {
    cwd: REPO_ROOT,
    env: { ...baseEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const lines: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: () => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of waiters.filter((candidate) => candidate.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const output = () => lines.join('\n');
  /** Resolves at the first line passing `test`; rejects if dev exits first. */
  const waitFor = (test: (line: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      waiters.push({ test, resolve });
      child.once('exit', (code) => reject(new Error(`dev exited with ${code} while waiting:\n${output()}`)));
    });
  return { child, output, waitFor };
}

/** Starts dev and waits for its banner. */
async function startDev(args: string[], env: Record<string, string | undefined> = {}): Promise<DevRun> {
  const dev = spawnDev(args, env);
  await dev.waitFor((line) => line === 'Ctrl-C stops everything.');
  const banner = dev.output();
  const field = (pattern: RegExp) => {
    const value = pattern.exec(banner)?.[1];
    if (value === undefined) throw new Error(`banner lacks ${pattern}:\n${banner}`);
    return value;
  };
  return {
    child: dev.child,
    apiUrl: field(/^ {2}API\s+(http:\/\/\S+)/m),
    linkPreviewUrl: field(/^ {2}link-preview\s+(http:\/\/\S+)/m),
    secretsPath: field(/^ {2}secrets\s+(\S+)/m),
    output: dev.output,
  };
}

/** Live processes whose parent is `pid` (Linux /proc). */
async function childPids(pid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) pids.push(Number(entry));
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refusesConnections(url: string): Promise<boolean> {
  try {
    await request(`${url}/health`, { timeoutMs: 2000 });
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  }
}

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('npm run dev', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'when started, then both services answer on loopback with the advertised Hosts, and %s stops them all with exit code 0',
    async (signal) => {
      const port = await freePort();
      const dev = await startDev(['--port', String(port)]);
      expect(dev.apiUrl).toBe(`http://127.0.0.1:${port}`);
      expect(dev.output()).toMatch(/^ {2}CORS +no browser origin allowed \(set CORS_ORIGIN=https:\/\/… to allow one\)$/m);

      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `api.natter.local:${port}`]) {
        expect((await request(`${dev.apiUrl}/health`, { headers: { host } })).status, host).toBe(200);
      }
      expect((await request(`${dev.apiUrl}/health`, { headers: { host: 'api.natter.local:30567' } })).status).toBe(400);
      const created = await request(`${dev.apiUrl}/users`, { json: { username: 'test', password: 'password' } });
      expect(created.status).toBe(201);
      expect(created.json()).toEqual({ username: 'test' });
      expect((await request(`${dev.linkPreviewUrl}/health`)).status).toBe(200);
      expect(existsSync(join(dev.secretsPath, 'hmac-key'))).toBe(true);

      dev.child.kill(signal);
      const [code] = (await once(dev.child, 'close')) as [number | null];
      expect(code, dev.output()).toBe(0);
      expect(await refusesConnections(dev.apiUrl)).toBe(true);
      expect(await refusesConnections(dev.linkPreviewUrl)).toBe(true);
      expect(existsSync(dev.secretsPath)).toBe(false);
      expect(dev.output()).toMatch(/api stopped \(exit code 0\)/);
      expect(dev.output()).toMatch(/link-preview stopped \(exit code 0\)/);
    },
  );

  it.runIf(HAS_CURL_AND_JQ)('when the printed walkthrough is pasted into a shell, then it creates, posts and reads back a message', async () => {
    const port = await freePort();
    const dev = await startDev(['--port', String(port)]);
    const banner = dev.output();
    const commands = banner
      .slice(banner.indexOf("Try the book's walkthrough"), banner.indexOf("For the book's exact URLs"))
      .split('\n')
      .filter((line) => line.startsWith('  '))
      // Stay on loopback: link-preview refuses this address before connecting, as it would a private one.
      .map((line) => line.trim().replace('http://www.example.com/news/1', 'http://127.0.0.1:9/news/1'));
    expect(commands).toHaveLength(5);

    const shell = spawn('sh', ['-c', ['set -e', ...commands].join('\n')], { env: baseEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(shell, 'close')) as [number | null];
    expect(code, stderr).toBe(0);
    expect(stdout.startsWith('{"username":"test"}')).toBe(true);
    const message = JSON.parse(stdout.slice(stdout.indexOf('{\n'))) as Record<string, unknown>;
    expect(message).toMatchObject({ author: 'test', message: 'Check out this link: http://127.0.0.1:9/news/1', links: [] });
    dev.child.kill('SIGINT');
    await once(dev.child, 'close');
  });

  it('when SIGTERM arrives while the API is still starting, then no service outlives dev and it exits 0', async () => {
    const port = await freePort();
    const dev = spawnDev(['--port', String(port)]);
    await dev.waitFor((line) => / link-preview +INFO +listening /.test(line));
    // The API is spawned right after link-preview listens; its embedded database takes seconds to start.
    let children = await childPids(dev.child.pid!);
    for (let attempt = 0; children.length < 2 && attempt < 100; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      children = await childPids(dev.child.pid!);
    }
    expect(children.length, dev.output()).toBe(2);
    expect(dev.output()).not.toContain('Ctrl-C stops everything.');

    dev.child.kill('SIGTERM');
    const [code] = (await once(dev.child, 'close')) as [number | null];
    expect(code, dev.output()).toBe(0);
    expect(children.filter(alive)).toEqual([]);
  });

  it('when LOG_LEVEL would hide the services\' listening lines, then it says so and exits 2', async () => {
    const dev = spawnDev(['--port', String(await freePort())], { LOG_LEVEL: 'warn' });
    const [code] = (await once(dev.child, 'close')) as [number | null];
    expect(code).toBe(2);
    expect(dev.output()).toContain('LOG_LEVEL must be one of info, debug, trace for npm run dev, got "warn"');
  });

  it.each([
    [['--prot', '1234'], "npm run dev: unknown option '--prot' (did you mean --port?)"],
    [['-p', '5000'], "npm run dev: unknown option '-p' (did you mean --port?)"],
    [['--port'], "npm run dev: option '--port' needs a value"],
    [['--port', 'http'], 'npm run dev: --port must be between 1 and 65535, got "http"'],
  ])('when the command line is %j, then one line names the mistake, the usage follows, exit code 2, no stack trace', async (args, message) => {
    const dev = spawnDev(args);
    const [code] = (await once(dev.child, 'close')) as [number | null];
    expect(code).toBe(2);
    expect(dev.output().split('\n')).toEqual([message, expect.stringMatching(/^usage: npm run dev -- \[--port <API port, default 4567>\]/)]);
  });

  it('when run as `npm run dev --port N` (npm keeps --port), then it explains the -- separator and exits 2', async () => {
    const child = spawn('npm', ['run', '-s', 'dev', '--port', '30568'], { cwd: REPO_ROOT, env: baseEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let output = '';
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(2);
    expect(output).toContain("npm run dev: unexpected argument '30568' (npm kept --port for itself: put options after --, as in npm run dev -- --port 30568)\nusage: npm run dev -- ");
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('when CORS_ORIGIN is set, then dev prints it and the API answers that origin\'s preflight; settings dev decides itself are ignored with a notice', async () => {
    const origin = 'https://localhost:9999';
    const dev = await startDev(['--port', String(await freePort())], { CORS_ORIGIN: origin, ALLOWED_HOSTS: 'evil.example:80' });
    expect(dev.output()).toMatch(new RegExp(`^ {2}CORS +allows the browser origin ${origin}$`, 'm'));
    expect(dev.output()).toContain('ignoring ALLOWED_HOSTS from the environment: computed from --port and --host-name');
    const preflight = (from: string) => request(`${dev.apiUrl}/users`, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': 'POST' } });
    const allowed = await preflight(origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(origin);
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    dev.child.kill('SIGTERM');
    await once(dev.child, 'close');
  });

  it('when a link-preview setting is set, then it reaches link-preview (an invalid one stops the start, naming it)', async () => {
    const dev = spawnDev(['--port', String(await freePort())], { PREVIEW_ALLOWED_PORTS: 'eighty' });
    const [code] = (await once(dev.child, 'close')) as [number | null];
    expect(code).toBe(1);
    expect(dev.output()).toContain('PREVIEW_ALLOWED_PORTS');
  });

  it('when the port is taken, then it says so and exits 2 without starting anything', async () => {
    const port = await freePort();
    const blocker = (await import('node:net')).createServer().listen(port, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const child = spawn(process.execPath, nodeArguments(join(REPO_ROOT, 'scripts/dev.ts'), ['--port', String(port)]), {
        cwd: REPO_ROOT,
        env: baseEnvironment(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.push(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code).toBe(2);
      expect(stderr).toContain(`port ${port} on 127.0.0.1 is not free`);
    } finally {
      blocker.close();
    }
  });

  /** A fresh database and API role name on the real server, dropped afterwards. */
  async function withScratchDatabase(work: (database: string, apiUser: string) => Promise<void>): Promise<void> {
    const suffix = randomBytes(5).toString('hex');
    const database = `natter_dev_${suffix}`;
    const apiUser = `natter_dev_api_${suffix}`;
    await asSuperuser(undefined, (admin) => admin.query(`CREATE DATABASE ${database}`));
    try {
      await work(database, apiUser);
    } finally {
      await asSuperuser(undefined, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS ${apiUser}`);
      });
    }
  }

  /** A user created through dev's API lands in `database`, written by a session of `apiUser` only. */
  async function expectServedFrom(dev: DevRun, database: string, apiUser: string): Promise<void> {
    expect((await request(`${dev.apiUrl}/users`, { json: { username: 'realdb', password: 'password' } })).status).toBe(201);
    const { users, sessions } = await asSuperuser(database, async (client) => ({
      users: (await client.query<{ user_id: string }>('SELECT user_id FROM users')).rows.map((row) => row.user_id),
      sessions: (await client.query<{ usename: string }>('SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])).rows.map((row) => row.usename),
    }));
    expect(users).toEqual(['realdb']);
    expect(sessions).toEqual([apiUser]);
    dev.child.kill('SIGTERM');
    const [code] = (await once(dev.child, 'close')) as [number | null];
    expect(code, dev.output()).toBe(0);
  }

  it.runIf(SUPERUSER_URL !== undefined)(
    'when DATABASE_URL names a real PostgreSQL database, then it migrates as that owner and the API connects as the least-privileged role',
    () =>
      withScratchDatabase(async (database, apiUser) => {
        const url = new URL(SUPERUSER_URL!);
        url.pathname = `/${database}`;
        const dev = await startDev(['--port', String(await freePort())], { DATABASE_URL: url.href, DATABASE_API_USER: apiUser });
        expect(dev.output()).toContain(`PostgreSQL ${url.hostname}:${url.port || 5432}/${database} (API connects as ${apiUser})`);
        await expectServedFrom(dev, database, apiUser);
      }),
  );

  it.runIf(SUPERUSER_URL !== undefined)(
    'when DATABASE_HOST and friends describe a migrated database, then they reach the API unchanged',
    () =>
      withScratchDatabase(async (database, apiUser) => {
        const secrets = await createSecretsDirectory('natter-dev-test-');
        try {
          const owner = { ...connectionFromUrl(SUPERUSER_URL!), database };
          const apiPassword = randomBytes(18).toString('base64url');
          const migrated = await runToCompletion({
            name: 'migrate',
            entry: ENTRIES.migrate,
            env: await migrationEnvironment({ owner, apiUser, apiPassword, secrets }),
          });
          expect(migrated).toBe(0);
          const dev = await startDev(['--port', String(await freePort())], {
            DATABASE_HOST: owner.host,
            DATABASE_PORT: String(owner.port),
            DATABASE_NAME: database,
            DATABASE_USER: apiUser,
            DATABASE_PASSWORD_FILE: await secrets.write('api-user-password', apiPassword),
          });
          expect(dev.output()).toContain(`PostgreSQL at ${owner.host} (DATABASE_* passed through to the API)`);
          await expectServedFrom(dev, database, apiUser);
        } finally {
          await secrets.remove();
        }
      }),
  );
});
