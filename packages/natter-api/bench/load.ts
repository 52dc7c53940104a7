/** Drives one benchmark scenario with autocannon and reduces the result to the figures we report. */
import autocannon from 'autocannon';

export interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Non-2xx responses, socket errors and timeouts: any of them invalidates the figures. */
  readonly failures: number;
  /** What the failures were, e.g. "HTTP 503 x2, timeouts x1". */
  readonly failureDetail: string;
}

export interface LoadOptions {
  /** Base URL of the server under test. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  /** Either a fixed path measured for `durationSeconds`… */
  readonly path?: string;
  readonly durationSeconds?: number;
  /** …or a list of distinct paths, each requested exactly once (cold caches). */
  readonly paths?: readonly string[];
}

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const common = { url: options.url, connections: options.connections, headers: { ...options.headers }, timeout: 30 };
  let result: autocannon.Result;
  // autocannon reports whole seconds; short cold runs need the real elapsed time.
  const started = performance.now();
  if (options.paths !== undefined) {
    const paths = [...options.paths];
    let next = 0;
    result = await autocannon({
      ...common,
      amount: paths.length,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => {
            // autocannon may prepare a request or two beyond `amount`; those are never sent.
            const path = paths[next] ?? paths[paths.length - 1]!;
            next += 1;
            return { ...request, path };
          },
        },
      ],
    });
  } else {
    if (options.path === undefined || options.durationSeconds === undefined) throw new Error('runLoad needs path and durationSeconds, or paths');
    result = await autocannon({ ...common, duration: options.durationSeconds, requests: [{ method: 'GET', path: options.path }] });
  }
  return loadFigures(result, started);
}

/** The figures of one autocannon run that started at `started` (performance.now()). */
export function loadFigures(result: autocannon.Result, started: number): LoadFigures {
  const elapsedSeconds = (performance.now() - started) / 1000;
  return {
    requestsPerSecond: result.requests.total / elapsedSeconds,
    meanMs: result.latency.mean,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    failureDetail: describeFailures(result),
  };
}

function describeFailures(result: autocannon.Result): string {
  const statuses = Object.entries(result.statusCodeStats)
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, { count }]) => `HTTP ${status} x${count}`);
  const socket = result.errors - result.timeouts;
  return [...statuses, ...(socket > 0 ? [`socket errors x${socket}`] : []), ...(result.timeouts > 0 ? [`timeouts x${result.timeouts}`] : [])].join(', ');
}
