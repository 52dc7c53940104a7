/**
 * Wraps `net.Socket.prototype.connect` in a contender process, before any library is loaded, to
 * (1) refuse any destination outside loopback — the network rule holds even if a library tries a
 *     secondary fetch (oEmbed, images) the bench did not ask for — and
 * (2) meter bytes read from every client socket, whatever HTTP stack the contender uses.
 */
import { isIP, Socket } from 'node:net';

export interface SocketTotals {
  readonly bytesRead: number;
  readonly connectionsOpened: number;
}

const liveSockets = new Set<Socket>();
let bytesReadByClosedSockets = 0;
let connectionsOpened = 0;

function isLoopbackLiteral(host: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

function destinationOf(args: unknown[]): { host?: string; path?: string } {
  // net.connect() passes its already-normalised [options, listener] array as the only argument.
  const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  // connect(options[, listener]) — http.Agent and undici both use this form.
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    return { host: options.host ?? 'localhost', path: options.path };
  }
  // connect(path[, listener]) for a unix socket, or connect(port[, host][, listener]).
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof second === 'string' ? second : 'localhost' };
}

let installed = false;

export function installClientSocketGuard(): void {
  if (installed) return;
  installed = true;
  const originalConnect = Socket.prototype.connect as (...args: unknown[]) => Socket;
  Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]): Socket {
    const { host, path } = destinationOf(args);
    if (path === undefined && (host === undefined || !isLoopbackLiteral(host))) {
      throw new Error(`bench loopback guard: refusing to connect to ${String(host)}`);
    }
    // A socket can be connected again after an error; count it once.
    if (!liveSockets.has(this)) {
      connectionsOpened += 1;
      liveSockets.add(this);
      this.once('close', () => {
        bytesReadByClosedSockets += this.bytesRead;
        liveSockets.delete(this);
      });
    }
    return originalConnect.apply(this, args);
  } as typeof Socket.prototype.connect;
}

/** Cumulative totals; diff two snapshots to meter a window. */
export function clientSocketTotals(): SocketTotals {
  let bytesRead = bytesReadByClosedSockets;
  for (const socket of liveSockets) bytesRead += socket.bytesRead;
  return { bytesRead, connectionsOpened };
}
