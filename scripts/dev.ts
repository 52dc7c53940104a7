/**
 * `npm run dev`: the link-preview service and the Natter API on loopback, in one command.
 *
 *   npm run dev                       API on http://127.0.0.1:4567, embedded database
 *   npm run dev -- --port 30567       the port of the book's walkthrough (NodePort in the cluster)
 *   DATABASE_URL=postgres://owner:pw@127.0.0.1:5432/natter npm run dev
 *                                     real PostgreSQL: migrated as that owner, then the API connects as
 *                                     the least-privileged DATABASE_API_USER (natter_api_user)
 *   DATABASE_HOST=… DATABASE_PASSWORD_FILE=… npm run dev
 *                                     an already migrated database, as the chart configures the API
 *
 * Every Host a client here may send is allowed: 127.0.0.1:<port>, localhost:<port> and
 * <name>:<port> for each --host-name (default api.natter.local, for the book's curl commands once
 * the name resolves to 127.0.0.1). A fresh HMAC key is generated into a private temporary folder,
 * removed on exit. Ctrl-C (SIGINT) or SIGTERM stops both services, then this process exits 0.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { exitOnUsageError, parseCommandLine, UsageError } from './lib/command-line.js';
import { API_PASS_THROUGH, DECIDED_BY_DEV, LINK_PREVIEW_PASS_THROUGH, passThrough } from './lib/dev-settings.js';
import { createLineFormatter } from './lib/log-format.js';
import { apiEnvironment, connectionFromUrl, createSecretsDirectory, ENTRIES, linkPreviewEnvironment, loopbackHosts, migrationEnvironment, type PostgresConnection, type SecretsDirectory, freePort, runToCompletion, startService, type ServiceProcess } from '@natter/process-harness';

const LOOPBACK = '127.0.0.1';
const USAGE = 'usage: npm run dev -- [--port <API port, default 4567>] [--host-name <extra allowed host name>]… [--help]   (service settings such as CORS_ORIGIN=… come from the environment: scripts/README.md)';

interface Options {
  readonly port: number;
  readonly hostNames: readonly string[];
  readonly logLevel: string;
}

/** The runner learns where each service listens from its info-level "listening" line. */
const LOG_LEVELS = ['info', 'debug', 'trace'];

function parseOptions(argv: readonly string[]): Options {
  const values = parseCommandLine(
    argv,
    {
      port: { type: 'string', default: '4567' },
      'host-name': { type: 'string', multiple: true, default: ['api.natter.local'] },
      help: { type: 'boolean', default: false },
    },
    'npm run dev',
  );
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) throw new UsageError(`--port must be between 1 and 65535, got "${values.port}"`);
  for (const name of values['host-name']) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) {
      throw new UsageError(`--host-name must be a lower-case DNS name, got "${name}"`);
    }
  }
  const logLevel = process.env['LOG_LEVEL'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} for npm run dev, got "${logLevel}"`);
  return { port, hostNames: values['host-name'], logLevel };
}

const format = createLineFormatter({ colour: process.stdout.isTTY === true, width: 12 });
const forward = (service: string) => (line: string) => process.stdout.write(`${format(service, line)}\n`);
const say = (line: string) => process.stdout.write(`${format('dev', line)}\n`);

async function ensurePortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`port ${port} on ${LOOPBACK} is not free (${error.code}); choose another with --port`)),
    );
    probe.listen(port, LOOPBACK, () => probe.close(() => resolve()));
  });
}

/**
 * The database the API gets: undefined → embedded; DATABASE_URL → migrate as its (owner) user and
 * hand the API the least-privileged role; DATABASE_HOST → passed through untouched.
 */
async function prepareDatabase(secrets: SecretsDirectory, onSpawn: (child: ChildProcess) => void): Promise<{ connection?: PostgresConnection; description: string }> {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') {
    return process.env['DATABASE_HOST'] === undefined
      ? { description: 'embedded PGlite (in memory: data is gone when you stop)' }
      : { description: `PostgreSQL at ${process.env['DATABASE_HOST']} (DATABASE_* passed through to the API)` };
  }
  const owner = connectionFromUrl(url, 'natter');
  const apiUser = process.env['DATABASE_API_USER'] ?? 'natter_api_user';
  const apiPassword = randomBytes(24).toString('base64url');
  say(`migrating ${owner.database} on ${owner.host}:${owner.port} as ${owner.user}`);
  const code = await runToCompletion({
    name: 'migrate',
    entry: ENTRIES.migrate,
    env: { ...(await migrationEnvironment({ owner, apiUser, apiPassword, databaseCaFile: databaseCaFile(), secrets })), MIGRATE_WAIT_SECONDS: '5' },
    onLine: forward('migrate'),
    onSpawn,
  });
  if (code !== 0) throw new Error(`the migration failed (exit code ${code}); see its log above`);
  return {
    connection: { ...owner, user: apiUser, password: apiPassword },
    description: `PostgreSQL ${owner.host}:${owner.port}/${owner.database} (API connects as ${apiUser})`,
  };
}

function walkthrough(base: string, options: Options): string {
  const book = `http://${options.hostNames[0] ?? 'api.natter.local'}:30567`;
  return [
    'Try the book\'s walkthrough (needs curl and jq):',
    `  BASE=${base}`,
    `  curl $BASE/users -H 'Content-Type: application/json' -d '{"username":"test","password":"password"}'`,
    `  MSG_URI=$(curl -s $BASE/spaces -H 'Content-Type: application/json' -d '{"owner":"test","name":"test space"}' -u test:password | jq -r '."messages-rw"')`,
    `  MSG_LINK=$(curl -s $BASE$MSG_URI -u test:password -H 'Content-Type: application/json' -d '{"author":"test","message":"Check out this link: http://www.example.com/news/1"}' | jq -r .uri)`,
    '  curl -s -u test:password $BASE$MSG_LINK | jq',
    `For the book's exact URLs (${book}): add "127.0.0.1 ${options.hostNames[0] ?? 'api.natter.local'}" to /etc/hosts and run npm run dev -- --port 30567`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await ensurePortFree(options.port);
  for (const [name, decision] of Object.entries(DECIDED_BY_DEV)) {
    if (process.env[name] !== undefined) say(`ignoring ${name} from the environment: ${decision}`);
  }
  const corsOrigin = process.env['CORS_ORIGIN'];
  const secrets = await createSecretsDirectory('natter-dev-');
  const running: ServiceProcess[] = [];
  // Every child that has not exited, including one still starting up or migrating (not in `running`).
  const children = new Set<ChildProcess>();
  const onSpawn = (child: ChildProcess) => {
    children.add(child);
    child.once('exit', () => children.delete(child));
  };
  let stopping: Promise<never> | undefined;

  const stopAll = (exitCode: number): Promise<never> => {
    stopping ??= (async () => {
      const unstarted = [...children].filter((child) => !running.some((service) => service.child === child));
      await Promise.all(unstarted.map((child) => terminate(child)));
      // The API first: it calls link-preview, not the other way round.
      for (const service of [...running].reverse()) {
        const { code, signal } = await service.stop();
        say(`${service.name} stopped (${signal ?? `exit code ${code}`})`);
      }
      await secrets.remove();
      process.exit(exitCode);
    })();
    return stopping;
  };
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals > 1) {
        for (const child of children) child.kill('SIGKILL');
        process.exit(130);
      }
      say(`${signal}: stopping`);
      void stopAll(0);
    });
  }
  const watch = (service: ServiceProcess) => {
    running.push(service);
    service.child.once('exit', (code, signal) => {
      if (stopping !== undefined) return;
      say(`${service.name} exited unexpectedly (${signal ?? `exit code ${code}`}); stopping everything`);
      void stopAll(1);
    });
  };

  try {
    const previewPort = await freePort(LOOPBACK);
    const linkPreview = await startService({
      name: 'link-preview',
      entry: ENTRIES.linkPreview,
      env: {
        ...linkPreviewEnvironment({ port: previewPort, bindAddress: LOOPBACK, allowedHosts: loopbackHosts(previewPort), logLevel: options.logLevel }),
        ...passThrough(process.env, LINK_PREVIEW_PASS_THROUGH),
        NODE_ENV: 'development',
      },
      onLine: forward('link-preview'),
      onSpawn,
    });
    watch(linkPreview);

    const database = await prepareDatabase(secrets, onSpawn);
    const allowedHosts = [...loopbackHosts(options.port), ...options.hostNames.map((name) => `${name}:${options.port}`)];
    const api = await startService({
      name: 'api',
      entry: ENTRIES.api,
      env: {
        ...(await apiEnvironment({
          port: options.port,
          bindAddress: LOOPBACK,
          allowedHosts,
          linkPreviewUrl: `http://${LOOPBACK}:${previewPort}`,
          database: database.connection,
          databaseCaFile: databaseCaFile(),
          secrets,
          logLevel: options.logLevel,
          extra: { ...passThroughDatabaseEnvironment(), ...passThrough(process.env, API_PASS_THROUGH) },
        })),
        NODE_ENV: 'development',
      },
      onLine: forward('api'),
      onSpawn,
    });
    watch(api);

    const base = `http://${LOOPBACK}:${options.port}`;
    process.stdout.write(
      [
        '',
        'Natter is running on loopback:',
        `  API           ${base}   allowed Host headers: ${allowedHosts.join(', ')}`,
        `  CORS          ${corsOrigin === undefined ? 'no browser origin allowed (set CORS_ORIGIN=https://… to allow one)' : `allows the browser origin ${corsOrigin}`}`,
        `  link-preview  ${linkPreview.url}   (called by the API; blocks non-public addresses)`,
        `  database      ${database.description}`,
        `  secrets       ${secrets.path} (dev HMAC key; removed on exit)`,
        '',
        walkthrough(base, options),
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    // A signal during start-up already stops everything; the failed start is its consequence.
    if (stopping !== undefined) return;
    say(error instanceof Error ? error.message : String(error));
    await stopAll(1);
  }
}

/** SIGTERM, SIGKILL if it is still there after 5 s; resolves once the process is gone. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

/** DATABASE_SSL_ROOT_CERT_FILE: with DATABASE_URL both the migration and the API connect over verified TLS. */
function databaseCaFile(): string | undefined {
  return process.env['DATABASE_SSL_ROOT_CERT_FILE'] || undefined;
}

/** With DATABASE_HOST, the API is configured exactly as the chart would: pass those variables on. */
function passThroughDatabaseEnvironment(): Record<string, string> {
  if (process.env['DATABASE_URL'] !== undefined && process.env['DATABASE_URL'] !== '') return {};
  const names = ['DATABASE_HOST', 'DATABASE_PORT', 'DATABASE_NAME', 'DATABASE_USER', 'DATABASE_PASSWORD_FILE', 'DATABASE_SSL_ROOT_CERT_FILE'];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) exitOnUsageError(error, 'npm run dev', USAGE);
  console.error(error);
  process.exit(1);
});
