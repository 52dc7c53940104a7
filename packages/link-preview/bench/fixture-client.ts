import type { ChildProcess } from 'node:child_process';
import { forkTypeScript, nextMessage, stopChild } from './child-processes.js';
import type { FixtureStats } from './protocol.js';

export interface FixtureServer {
  readonly port: number;
  stats(): Promise<FixtureStats>;
  close(): Promise<void>;
}

const isReady = (message: unknown): message is { type: 'ready'; port: number } =>
  (message as { type?: string }).type === 'ready';
const isStats = (message: unknown): message is { type: 'stats'; stats: FixtureStats } =>
  (message as { type?: string }).type === 'stats';

/** Starts the fixture server in its own process and returns its port and a stats probe. */
export async function startFixtureServer(): Promise<FixtureServer> {
  const child: ChildProcess = forkTypeScript('./fixture-server.ts', [], { measured: false });
  const { port } = await nextMessage(child, isReady, 30_000);
  return {
    port,
    async stats() {
      const reply = nextMessage(child, isStats, 10_000);
      child.send({ type: 'stats' });
      return (await reply).stats;
    },
    close: () => stopChild(child),
  };
}

export function diffStats(after: FixtureStats, before: FixtureStats): FixtureStats {
  return {
    requests: after.requests - before.requests,
    connections: after.connections - before.connections,
    bodyBytesFlushed: after.bodyBytesFlushed - before.bodyBytesFlushed,
    gzipWithoutAcceptEncoding: after.gzipWithoutAcceptEncoding - before.gzipWithoutAcceptEncoding,
    cpuMicros: after.cpuMicros - before.cpuMicros,
  };
}
