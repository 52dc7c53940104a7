/**
 * A TCP relay between the API and PostgreSQL that counts round trips: a flight of bytes from the
 * client answered by bytes from the server. Statements pipelined in one flight (Parse/Bind/Execute
 * of several queries before one Sync) count once; a client that waits for each answer counts once
 * per statement. Server messages nobody asked for (notices, parameter changes) count nothing.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface RoundTripProxy {
  /** Where the API connects instead of PostgreSQL. */
  readonly port: number;
  /** Round trips since the last reset, over every connection. */
  roundTrips(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRoundTripProxy(target: { readonly host: string; readonly port: number }): Promise<RoundTripProxy> {
  let roundTrips = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    // Set by client bytes, cleared (and counted) by the first server bytes that follow them.
    let awaitingAnswer = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      // A reset on one side ends the other; the API sees it as a lost connection, as it would without us.
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      awaitingAnswer = true;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (awaitingAnswer) roundTrips += 1;
      awaitingAnswer = false;
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    roundTrips: () => roundTrips,
    reset: () => {
      roundTrips = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
