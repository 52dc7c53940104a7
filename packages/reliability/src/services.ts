/**
 * Both services as real processes on 127.0.0.1, started from their production entry points and
 * configured through the environment as the chart configures them. Every line either writes (stdout
 * and stderr) is kept, so tests can assert what was — and was not — logged.
 */
import {
  apiEnvironment,
  createSecretsDirectory,
  ENTRIES,
  freePort,
  linkPreviewEnvironment,
  loopbackHosts,
  startService,
  type PostgresConnection,
  type ServiceProcess,
} from '@natter/process-harness';

/** One line a service wrote. */
export interface LogLine {
  readonly service: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** A service under test: the process, its port, the Host it accepts and every line it logged. */
export interface RunningService {
  readonly process: ServiceProcess;
  readonly port: number;
  /** A `Host` value on its allowlist. */
  readonly host: string;
  readonly logs: readonly LogLine[];
  /** Set once the process has exited (it never should while a test runs). */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM (its logs are complete afterwards) and removal of its secret files. */
  stop(): Promise<void>;
}

/** Rate limits far above what any test sends: the suite measures faults, not throttling. */
const UNTHROTTLED = {
  RATE_LIMIT_GLOBAL_PER_SECOND: '1000000',
  RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1000000',
  RATE_LIMIT_PER_USER_PER_SECOND: '1000000',
};

async function started(name: string, port: number, launch: (onLine: (text: string, stream: 'stdout' | 'stderr') => void) => Promise<ServiceProcess>, cleanup: () => Promise<void>): Promise<RunningService> {
  const logs: LogLine[] = [];
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let launched: ServiceProcess;
  try {
    launched = await launch((text, stream) => logs.push({ service: name, stream, text }));
  } catch (error) {
    await cleanup();
    throw error;
  }
  launched.child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  return {
    process: launched,
    port,
    host: loopbackHosts(port)[0]!,
    logs,
    exit: () => exited,
    stop: async () => {
      await launched.stop();
      await cleanup();
    },
  };
}

/**
 * The Natter API (`src/server.ts`) on a real PostgreSQL database, or on its embedded one when
 * `database` is omitted; no link-preview service (so no message text can make it fetch anything).
 */
export async function startApi(options: { database?: PostgresConnection; name?: string; extra?: Readonly<Record<string, string>> } = {}): Promise<RunningService> {
  const name = options.name ?? 'natter-api';
  const port = await freePort();
  const secrets = await createSecretsDirectory('natter-reliability-api-');
  return started(
    name,
    port,
    async (onLine) =>
      startService({
        name,
        entry: ENTRIES.api,
        env: await apiEnvironment({
          port,
          bindAddress: '127.0.0.1',
          allowedHosts: loopbackHosts(port),
          database: options.database,
          secrets,
          extra: { ...UNTHROTTLED, ...options.extra },
        }),
        onLine,
        startTimeoutMs: 90_000,
      }),
    () => secrets.remove(),
  );
}

/**
 * link-preview (`src/server.ts`, exactly as deployed) allowed to fetch only from `allowedPort`:
 * every URL naming another port is refused before any name is resolved or any socket opened, so
 * a test that never sends that port keeps the service off the network entirely.
 */
export async function startLinkPreview(options: { allowedPort: number }): Promise<RunningService> {
  const port = await freePort();
  return started(
    'link-preview',
    port,
    (onLine) =>
      startService({
        name: 'link-preview',
        entry: ENTRIES.linkPreview,
        env: { ...linkPreviewEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: loopbackHosts(port) }), PREVIEW_ALLOWED_PORTS: String(options.allowedPort) },
        onLine,
      }),
    async () => undefined,
  );
}
