import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy to PostgreSQL that counts round trips on the wire: every exchange a client
 * waits for ends with one ReadyForQuery ('Z') from the server (a simple query, or the Sync of an
 * extended-protocol batch, prepared or not). The one that ends each connection's start-up is not
 * counted. Needs a plaintext connection (no SSLRequest), as the test server's.
 */
export interface RoundTripCounter {
  readonly port: number;
  /** Round trips since start (or the last reset), over every connection. */
  count(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRoundTripCounter(target: { host: string; port: number }): Promise<RoundTripCounter> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    let startedUp = false;
    upstream.on('data', countMessages((type) => {
      if (type !== 'Z') return;
      if (startedUp) count += 1;
      startedUp = true;
    }));
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    count: () => count,
    reset: () => void (count = 0),
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Splits the server's stream into messages (type byte, then a length that counts itself) across chunks. */
function countMessages(onMessage: (type: string) => void): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let skip = 0;
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (skip > 0) {
        const taken = Math.min(skip, chunk.length - offset);
        skip -= taken;
        offset += taken;
        continue;
      }
      const wanted = 5 - header.length;
      header = Buffer.concat([header, chunk.subarray(offset, offset + wanted)]);
      offset += Math.min(wanted, chunk.length - offset);
      if (header.length < 5) return;
      onMessage(String.fromCharCode(header[0]!));
      skip = header.readInt32BE(1) - 4;
      header = Buffer.alloc(0);
    }
  };
}
