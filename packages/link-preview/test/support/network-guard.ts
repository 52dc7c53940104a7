import { isIP } from 'node:net';

/** One `connect()` the process attempted, as the TCP handle saw it (after DNS, before any packet). */
export interface ConnectAttempt {
  readonly address: string;
  readonly port: number;
}

interface TcpHandlePrototype {
  connect(request: unknown, address: string, port: number): number;
  connect6(request: unknown, address: string, port: number): number;
}

// process.binding is deprecated for applications, but it is the only hook below net.Socket that sees
// the resolved address each connect() is about to use; acceptable in a test helper.
const legacyProcess = process as unknown as { binding(name: 'tcp_wrap'): { TCP: { prototype: TcpHandlePrototype } } };
const tcpPrototype = legacyProcess.binding('tcp_wrap').TCP.prototype;

const UV_EHOSTUNREACH = -113;

function isLoopback(address: string): boolean {
  return isIP(address) === 4 ? address.startsWith('127.') : address === '::1' || address.startsWith('::ffff:127.');
}

/**
 * Records every TCP connect of this process at the lowest level Node offers (the libuv handle), so a
 * test can prove a blocked destination was refused BEFORE connecting. As a safety net it also fails
 * any non-loopback connect with EHOSTUNREACH instead of sending a packet, so a bug in the code under
 * test can never reach a real network from the test suite.
 */
export function guardNetwork(): { readonly attempts: readonly ConnectAttempt[]; takeAttempts(): ConnectAttempt[]; restore(): void } {
  const attempts: ConnectAttempt[] = [];
  const original = { connect: tcpPrototype.connect, connect6: tcpPrototype.connect6 };
  for (const method of ['connect', 'connect6'] as const) {
    tcpPrototype[method] = function guardedConnect(this: unknown, request: unknown, address: string, port: number) {
      attempts.push({ address, port });
      if (!isLoopback(address)) return UV_EHOSTUNREACH;
      return original[method].call(this, request, address, port);
    };
  }
  return {
    attempts,
    takeAttempts: () => attempts.splice(0),
    restore() {
      tcpPrototype.connect = original.connect;
      tcpPrototype.connect6 = original.connect6;
    },
  };
}
