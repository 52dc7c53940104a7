import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../src/index.js';

const servers: (Server | TcpServer)[] = [];
const silentSockets: Socket[] = [];
afterEach(async () => {
  for (const socket of silentSockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen<T extends Server | TcpServer>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('rawRequest until the first response', () => {
  it('when a kept-alive server answers (by length or in chunks), then it resolves at once with the decoded answer', async () => {
    const url = await listen(
      createServer((request, response) => {
        if (request.url === '/chunked') {
          response.write('{"a":');
          response.end('1}');
        } else {
          response.setHeader('content-length', 7).end('{"a":1}');
        }
      }),
    );
    for (const path of ['/length', '/chunked']) {
      const started = performance.now();
      const exchange = await rawRequest(url, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, { until: 'response', waitMs: 5000 });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(exchange).toMatchObject({ status: 200, body: '{"a":1}', closedByServer: false });
    }
  });

  it('when the server neither answers nor closes, then after waitMs there is no status and no close: a hang', async () => {
    const url = await listen(createTcpServer((socket) => void silentSockets.push(socket)));
    const exchange = await rawRequest(url, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { until: 'response', waitMs: 300 });
    expect(exchange).toMatchObject({ status: undefined, closedByServer: false, raw: '' });
  });
});
