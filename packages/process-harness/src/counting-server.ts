import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback page server that counts every TCP connection it accepts. */
export interface CountingServer {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

export async function startCountingServer(html: string): Promise<CountingServer> {
  let connections = 0;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
