import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export type FixtureHandler = (request: IncomingMessage, response: ServerResponse, fixture: FixtureServer) => void;

export interface FixtureServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly origin: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  readonly requests: readonly RecordedRequest[];
  /** Connections the client has closed (or that ended) so far. */
  readonly closedConnections: number;
  close(): Promise<void>;
}

/** A real HTTP server on loopback (port 0) that records what reached it. */
export async function startFixture(handler: FixtureHandler, options: { host?: string } = {}): Promise<FixtureServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let connections = 0;
  let closedConnections = 0;
  const server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers });
    handler(request, response, fixture);
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('close', () => {
      closedConnections += 1;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const fixture: FixtureServer = {
    host,
    port,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get connections() {
      return connections;
    },
    get closedConnections() {
      return closedConnections;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return fixture;
}

/** Responds with an HTML page. */
export function html(body: string | Buffer, contentType = 'text/html; charset=utf-8'): FixtureHandler {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': contentType });
    response.end(body);
  };
}
