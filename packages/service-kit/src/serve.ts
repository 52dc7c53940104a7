import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { clientErrorHandler, DEFAULT_ERROR_HEADERS, defaultErrorBody, type ErrorBody } from './client-errors.js';

/** Options for {@link serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Address to bind. @default '0.0.0.0' (all IPv4 interfaces, as a pod needs) */
  readonly host?: string;
  readonly logger: Logger;
  /** How long in-flight requests may take to finish after SIGTERM. @default 10000 */
  readonly shutdownTimeoutMs?: number;
  /** Releases what the app holds (database pools, timers) once the server has closed. @default - nothing */
  readonly onClose?: () => Promise<void>;
  /** Install SIGTERM/SIGINT handlers that close and exit the process. @default true */
  readonly handleSignals?: boolean;
  /** How long a client may take to send the request headers before a 408. @default 10000 */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send the whole request before a 408. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * The JSON body answered to a request Node's HTTP parser rejects, in the service's error shape.
   * @default - `{"status": <code>, "error": <reason>}`
   */
  readonly errorBody?: ErrorBody;
  /** Headers on that answer, besides Content-Type, Content-Length and `Connection: close`. @default DEFAULT_ERROR_HEADERS */
  readonly errorHeaders?: Readonly<Record<string, string>>;
}

/**
 * How often Node checks the headers and request timeouts. Its default (30 s) let a slow-header
 * client hold a connection for 39 s against a 10 s headers timeout; checked every second, a
 * timeout holds to within about a second.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

/** A listening service. */
export interface RunningService {
  readonly server: Server;
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Stops accepting connections, lets in-flight requests finish (bounded), then runs `onClose`. */
  close(): Promise<void>;
}

/** Listens with conservative socket timeouts and shuts down cleanly on SIGTERM (Kubernetes) or SIGINT. */
export async function serve(app: Koa, options: ServeOptions): Promise<RunningService> {
  const handler = app.callback();
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
      // Node answers an HTTP/1.1 request without Host with a bare 400 of its own; the app's Host
      // allowlist refuses it anyway (no list holds an empty Host), in the service's error format.
      requireHostHeader: false,
    },
    handler,
  );
  // An `Expect` other than 100-continue: Node's own answer is a bare 417. A server may ignore an
  // expectation it does not support (RFC 9110, 10.1.1), so the app answers the request as it is.
  server.on('checkExpectation', handler);
  // Unhandled, Node answers a bare 400/431 without the service's JSON and headers.
  server.on(
    'clientError',
    clientErrorHandler({ logger: options.logger, body: options.errorBody ?? defaultErrorBody, headers: options.errorHeaders ?? DEFAULT_ERROR_HEADERS }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, an 'error' (e.g. accept() failing with EMFILE) must not end the process:
  // Node retries on the next connection.
  server.on('error', (error) => options.logger.error({ err: error }, 'server error'));
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A keep-alive connection that finishes its last response while we drain would otherwise
      // idle until its timeout and hold the shutdown up; sweeping only while closing keeps this
      // off the request path.
      const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000);
      await closed;
      clearInterval(idleSweep);
      clearTimeout(deadline);
      await options.onClose?.();
      options.logger.info('stopped');
    })();
    return closing;
  };

  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      // `on`, not `once`: a repeated signal must not kill the process mid-drain (the drain is bounded).
      process.on(signal, () => {
        if (closing) return;
        options.logger.info({ signal }, 'shutting down');
        close().then(
          () => process.exit(0),
          (error: unknown) => {
            options.logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  // Logged only once the handlers are installed: whoever waits for this line may signal at once.
  options.logger.info({ url }, 'listening');
  return { server, url, close };
}
