import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PreviewRequest {
  readonly url: string;
  readonly host: string | undefined;
}

/** How the stub answers one link. */
export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number }
  | { kind: 'not-json' }
  | { kind: 'huge' }
  | { kind: 'hold' };

/**
 * A fake link-preview service on loopback: answers `GET /preview?url=` per link with the chosen
 * behaviour, and records what it was asked and how many requests overlapped.
 */
export interface PreviewStub {
  readonly baseUrl: string;
  readonly requests: PreviewRequest[];
  readonly maxConcurrent: number;
  behave(link: string, behaviour: Behaviour): void;
  /** Releases every held request (answers 200). */
  release(): void;
  /** Resolves once `count` requests are in flight at the same time. */
  whenConcurrent(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPreviewStub(): Promise<PreviewStub> {
  const behaviours = new Map<string, Behaviour>();
  const requests: PreviewRequest[] = [];
  const held: (() => void)[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;

  const preview = (url: string) => JSON.stringify({ url, title: `Title of ${url}`, description: 'A description', image: null });

  const server: Server = createServer((req: IncomingMessage, res) => {
    const requestUrl = new URL(req.url ?? '/', 'http://stub');
    const link = requestUrl.searchParams.get('url') ?? '';
    requests.push({ url: link, host: req.headers.host });
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    for (const waiter of waiters.filter((candidate) => concurrent >= candidate.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const finish = (status: number, body: string, type = 'application/json') => {
      concurrent -= 1;
      if (res.destroyed) return;
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    if (requestUrl.pathname !== '/preview') return finish(404, '{}');
    const behaviour = behaviours.get(link) ?? { kind: 'ok' };
    switch (behaviour.kind) {
      case 'ok':
        return finish(200, preview(link));
      case 'delay': {
        const timer = setTimeout(() => finish(200, preview(link)), behaviour.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'status':
        return finish(behaviour.status, '{"error":"upstream failed"}');
      case 'not-json':
        return finish(200, '<html>not json</html>', 'text/html');
      case 'huge':
        return finish(200, JSON.stringify({ url: link, title: 'x'.repeat(100_000) }));
      case 'hold':
        held.push(() => finish(200, preview(link)));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    behave: (link, behaviour) => void behaviours.set(link, behaviour),
    release: () => held.splice(0).forEach((answer) => answer()),
    whenConcurrent: (count) => new Promise((resolve) => {
      if (concurrent >= count) resolve();
      else waiters.push({ count, resolve });
    }),
    close: () => new Promise((resolve) => {
      held.splice(0).forEach((answer) => answer());
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A loopback port with nothing listening (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
