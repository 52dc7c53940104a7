/**
 * A PostgreSQL cluster of the test's own: initdb into a temporary folder, listening on loopback
 * on a free port, so a test may kill or restart it without touching any server someone else
 * uses. As root the server runs as the `postgres` account (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, copyFile, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresConnection } from './natter-services.js';
import { freePort } from './service-process.js';

const run = promisify(execFile);

/** Where the server binaries are and which account runs them; or why there is none. */
export type PrivatePostgresSupport =
  | { readonly available: true; readonly binDir: string; readonly runAs: { readonly user: string; readonly uid: number; readonly gid: number } | undefined }
  | { readonly available: false; readonly reason: string };

/** Finds initdb (on PATH, else the newest /usr/lib/postgresql/<major>/bin) and the account to run it as. */
export async function privatePostgresSupport(): Promise<PrivatePostgresSupport> {
  const binDir = findBinDir();
  if (binDir === undefined) return { available: false, reason: 'no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin' };
  if (process.getuid?.() !== 0) return { available: true, binDir, runAs: undefined };
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { available: true, binDir, runAs: { user: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } };
  } catch {
    return { available: false, reason: 'running as root, but there is no postgres account to run the server as' };
  }
}

function findBinDir(): string | undefined {
  for (const directory of (process.env['PATH'] ?? '').split(delimiter)) {
    if (directory !== '' && existsSync(join(directory, 'initdb')) && existsSync(join(directory, 'pg_ctl'))) return directory;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => join(root, major, 'bin')).find((directory) => existsSync(join(directory, 'initdb')));
}

/** A running private cluster. */
export interface PrivatePostgres {
  /** The superuser `postgres` over TCP on 127.0.0.1 (password authentication). */
  readonly superuser: PostgresConnection;
  /** The same as a `postgres://` URL. */
  readonly url: string;
  /** Its temporary folder (data directory, server log, socket), deleted by `close()`. */
  readonly directory: string;
  /**
   * Stops the server abruptly, as a crash would: `immediate` is `pg_ctl stop -m immediate`,
   * `kill` sends SIGKILL to the postmaster (its backends then end by themselves). Either way
   * the next start runs crash recovery.
   */
  stop(mode: 'immediate' | 'kill'): Promise<void>;
  /** Starts it again and resolves once it accepts connections. */
  start(): Promise<void>;
  /**
   * Serves another certificate from now on (a fast restart; sessions end). Only for a cluster
   * started with `tls`.
   */
  useCertificate(certificate: PrivatePostgresTls): Promise<void>;
  /** Stops it (if running) and deletes its data directory. */
  close(): Promise<void>;
}

/** A server certificate and its key (PEM files); copied into the cluster's folder for the server account. */
export interface PrivatePostgresTls {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Options for {@link startPrivatePostgres}. */
export interface PrivatePostgresOptions {
  /** @default - a free port on 127.0.0.1 */
  readonly port?: number;
  /**
   * `ssl = on` with this certificate, and every role but the superuser `postgres` must use TLS
   * over TCP (as on a CloudNativePG cluster), so a client that connects at all used TLS.
   * @default - no TLS
   */
  readonly tls?: PrivatePostgresTls;
  /**
   * More postgresql.conf settings, written after the harness's own (so they win), e.g.
   * `{ max_connections: '20', shared_preload_libraries: 'pg_stat_statements' }`.
   * @default - none
   */
  readonly settings?: Readonly<Record<string, string>>;
}

/** initdb + start; rejects with the reason when {@link privatePostgresSupport} says it cannot. */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const support = await privatePostgresSupport();
  if (!support.available) throw new Error(`cannot start a private PostgreSQL: ${support.reason}`);
  const { binDir, runAs } = support;
  const settings = Object.entries(options.settings ?? {}).map(([name, value]) => {
    if (!/^[a-z][a-z0-9_.]*$/.test(name) || /[\r\n]/.test(value)) throw new Error(`not a postgresql.conf setting: ${JSON.stringify(name)} = ${JSON.stringify(value)}`);
    return `${name} = '${value.replaceAll("'", "''")}'\n`;
  });
  const home = await mkdtemp(join(tmpdir(), 'natter-private-pg-'));
  const dataDir = join(home, 'data');
  const logFile = join(home, 'server.log');
  const password = randomBytes(18).toString('base64url');
  const port = options.port ?? (await freePort());
  if (runAs !== undefined) await chown(home, runAs.uid, runAs.gid);

  const pg = async (command: string, args: readonly string[]): Promise<void> => {
    const file = join(binDir, command);
    const [program, argv] = runAs === undefined ? [file, args] : ['runuser', ['-u', runAs.user, '--', file, ...args]];
    try {
      await run(program, [...argv], { env: { PATH: process.env['PATH'], LANG: 'C', LC_ALL: 'C' }, timeout: 60_000 });
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`${command} ${args.join(' ')} failed: ${(error as Error).message}\n--- server log ---\n${log.slice(-2000)}`);
    }
  };

  const passwordFile = join(home, 'superuser-password');
  await writeFile(passwordFile, password, { mode: 0o600 });
  if (runAs !== undefined) await chown(passwordFile, runAs.uid, runAs.gid);
  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '--no-sync', '-E', 'UTF8', '--locale=C']);
  await rm(passwordFile);
  // Loopback only; the Unix socket inside our own folder, so nothing collides with a system cluster.
  // fsync off: tests crash processes, not the machine, and the kernel keeps every write across a
  // process crash; with it on, crash recovery first syncs the whole data directory (seconds on a
  // busy CI disk), which would stretch every restart.
  await appendFile(join(dataDir, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${home}'\nfsync = off\n`);
  if (settings.length > 0) await appendFile(join(dataDir, 'postgresql.conf'), settings.join(''));
  const installCertificate = async (certificate: PrivatePostgresTls): Promise<void> => {
    // The server refuses a key others can read, and must own it (it runs as postgres under root).
    for (const [source, target, mode] of [[certificate.certFile, 'server.crt', 0o644], [certificate.keyFile, 'server.key', 0o600]] as const) {
      await copyFile(source, join(home, target));
      await chmod(join(home, target), mode);
      if (runAs !== undefined) await chown(join(home, target), runAs.uid, runAs.gid);
    }
  };
  if (options.tls !== undefined) {
    await installCertificate(options.tls);
    await appendFile(join(dataDir, 'postgresql.conf'), `ssl = on\nssl_cert_file = '${join(home, 'server.crt')}'\nssl_key_file = '${join(home, 'server.key')}'\n`);
    // First match wins: the superuser may still use plaintext (test set-up), nobody else.
    const hba = await readFile(join(dataDir, 'pg_hba.conf'), 'utf8');
    await writeFile(join(dataDir, 'pg_hba.conf'), `hostnossl all postgres 127.0.0.1/32 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\n${hba}`);
  }

  let running = false;
  const start = async (): Promise<void> => {
    // After a SIGKILL the old postmaster stays a zombie until init reaps it, and PostgreSQL refuses
    // to start while the pid in its lock file answers: retry for a while.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await pg('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60']);
        running = true;
        return;
      } catch (error) {
        if (attempt >= 60) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };
  const stop = async (mode: 'immediate' | 'kill'): Promise<void> => {
    if (mode === 'immediate') {
      await pg('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
    } else {
      const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n', 1)[0]);
      const children = await childPids(postmaster);
      process.kill(postmaster, 'SIGKILL');
      await waitUntilGone([postmaster, ...children], 10_000);
    }
    running = false;
  };

  await start();
  const superuser: PostgresConnection = { host: '127.0.0.1', port, database: 'postgres', user: 'postgres', password };
  return {
    superuser,
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    directory: home,
    stop,
    start,
    useCertificate: async (certificate) => {
      if (options.tls === undefined) throw new Error('useCertificate needs a cluster started with tls');
      await installCertificate(certificate);
      await pg('pg_ctl', ['restart', '-D', dataDir, '-m', 'fast', '-l', logFile, '-w', '-t', '60']);
      running = true;
    },
    close: async () => {
      if (running) await stop('immediate').catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}

async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter((entry) => entry !== '').map(Number);
}

/** Waits for the processes to end; any still there after `timeoutMs` (ours: we started them) get SIGKILL, and after twice that it gives up. */
async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const started = Date.now();
  let killed = false;
  for (;;) {
    const alive = (await Promise.all(pids.map(async (pid) => ((await isAlive(pid)) ? [pid] : [])))).flat();
    if (alive.length === 0) return;
    if (Date.now() - started > 2 * timeoutMs) throw new Error(`PostgreSQL processes ${alive.join(', ')} still running after SIGKILL`);
    if (!killed && Date.now() - started > timeoutMs) {
      for (const pid of alive) process.kill(pid, 'SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A process that exists and is not a zombie (an unreaped zombie still answers kill(pid, 0)). */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The state follows the parenthesised command name, which may itself contain spaces.
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
