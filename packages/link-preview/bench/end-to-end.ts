/**
 * The running service under load: the test launcher (test/support/serve-with-fixture-allowance.ts,
 * the same parseConfig → createApp → serve path as src/server.ts plus the loopback fixture
 * allowance, which only that launcher can switch on) runs in its own process, and autocannon drives
 * `GET /preview?url=…` at a fixed number of connections. It is measured in slices interleaved with
 * the in-process contenders' slices of the same page (see run-block.ts), so the end-to-end / core
 * ratio compares figures taken seconds apart, not minutes.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { forkTypeScript, stopChild } from './child-processes.js';
import type { InterleavedSlices } from './run-block.js';
import { percentile } from './stats.js';
import { loadExpected, type BenchPage } from './pages.js';

export interface EndToEndResult {
  readonly page: BenchPage['id'];
  readonly connections: number;
  /** Measured slices (each interleaved with the in-process slices of the same page). */
  readonly slices: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly completed: number;
  readonly non2xx: number;
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  /** CPU time (user + system, all threads) of the service process per completed request; Linux only. */
  readonly serviceCpuMsPerRequest?: number;
  /** Mean 1-minute load average at the start of the slices. */
  readonly loadAverage: number;
  /** One request made before the load, checked against expected.json. */
  readonly sampleCorrect: boolean;
  readonly sampleDetail?: string;
  /** Why some or all slices are missing (the service failed, say). */
  readonly failure?: string;
}

export interface EndToEndOptions {
  readonly fixturePort: number;
  readonly connections: number;
  /** Load before each page's measured slices, as the in-process cells get before theirs (JIT, pools). */
  readonly warmupMs: number;
}

/** As the in-process warm-up (contender-process.ts): a modest concurrency. */
const WARMUP_CONNECTIONS = 4;
const LAUNCHER = '../test/support/serve-with-fixture-allowance.ts';
/** The Host header the chart puts on the allowlist; sent on every request, as the Natter API does. */
const SERVICE_HOST = 'natter-link-preview-service:4567';

/** Why the end-to-end part cannot run, or undefined when it can. */
export function endToEndUnavailable(): string | undefined {
  return existsSync(fileURLToPath(new URL(LAUNCHER, import.meta.url))) ? undefined : `${LAUNCHER} is missing`;
}

/** Waits for the launcher's `{"msg":"listening","url":…}` log line, then keeps draining its logs. */
function listeningUrl(service: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`service did not log "listening" within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          service.stdout?.off('data', onData);
          service.off('exit', onExit);
          // The per-request logs still have to be read (and are dropped) or the pipe would fill.
          service.stdout?.resume();
          resolve(entry.url);
          return;
        }
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`service exited with ${code} before listening`));
    function fail(error: Error): void {
      clearTimeout(timer);
      service.stdout?.off('data', onData);
      service.off('exit', onExit);
      reject(error);
    }
    service.stdout?.on('data', onData);
    service.once('exit', onExit);
  });
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, every thread) a process has used, in ms, from /proc; undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

function getJson(url: string, host: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('sample request timed out')));
    req.end();
  });
}


interface PageTotals {
  sampleCorrect: boolean;
  sampleDetail?: string;
  slices: number;
  elapsedMs: number;
  readonly latenciesMs: number[];
  readonly statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  cpuMs?: number;
  loadAverageSum: number;
  failure?: string;
}

interface Load {
  readonly latenciesMs: number[];
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly elapsedMs: number;
}

/** The service in its own process, measured page by page in slices. */
export class EndToEndService {
  private readonly totals = new Map<BenchPage['id'], PageTotals>();

  private constructor(
    private readonly service: ChildProcess,
    private readonly serviceUrl: string,
    private readonly options: EndToEndOptions,
  ) {}

  static async start(options: EndToEndOptions): Promise<EndToEndService> {
    const service = forkTypeScript(LAUNCHER, ['--allow-fixture-range', '127.0.0.0/8'], {
      measured: true,
      stdout: 'pipe',
      env: {
        ...process.env,
        PORT: '0',
        ALLOWED_HOSTS: SERVICE_HOST,
        PREVIEW_ALLOWED_PORTS: `80,443,${options.fixturePort}`,
      },
    });
    try {
      return new EndToEndService(service, await listeningUrl(service, 60_000), options);
    } catch (error) {
      await stopChild(service);
      throw error;
    }
  }

  /** The slices of one page, for runBlock to interleave with the in-process contenders' slices. */
  slicesFor(page: BenchPage): InterleavedSlices {
    const previewUrl = `${this.serviceUrl}/preview?url=${encodeURIComponent(`http://127.0.0.1:${this.options.fixturePort}${page.path}`)}`;
    const totals: PageTotals = {
      sampleCorrect: false,
      slices: 0,
      elapsedMs: 0,
      latenciesMs: [],
      statusCounts: {},
      errors: 0,
      timeouts: 0,
      cpuMs: 0,
      loadAverageSum: 0,
    };
    this.totals.set(page.id, totals);
    return {
      label: 'end to end',
      prepare: async () => {
        const sample = await getJson(previewUrl, SERVICE_HOST);
        const want = loadExpected()[page.expectedKey];
        const got = sample.body as Record<string, unknown>;
        totals.sampleCorrect =
          sample.status === 200 && got.title === want.title && got.description === want.description && got.image === want.image;
        if (!totals.sampleCorrect) totals.sampleDetail = `HTTP ${sample.status} ${JSON.stringify(sample.body)}`;
        await this.load(previewUrl, Math.min(this.options.connections, WARMUP_CONNECTIONS), this.options.warmupMs);
      },
      measureSlice: async (durationMs) => {
        totals.loadAverageSum += loadavg()[0] ?? 0;
        const cpuBefore = processCpuMs(this.service.pid);
        const load = await this.load(previewUrl, this.options.connections, durationMs);
        const cpuAfter = processCpuMs(this.service.pid);
        totals.slices += 1;
        totals.elapsedMs += load.elapsedMs;
        totals.latenciesMs.push(...load.latenciesMs);
        for (const [code, count] of Object.entries(load.statusCounts)) totals.statusCounts[code] = (totals.statusCounts[code] ?? 0) + count;
        totals.errors += load.errors;
        totals.timeouts += load.timeouts;
        totals.cpuMs = cpuBefore === undefined || cpuAfter === undefined || totals.cpuMs === undefined ? undefined : totals.cpuMs + cpuAfter - cpuBefore;
      },
      fail: (reason) => {
        totals.failure = reason;
      },
    };
  }

  results(): EndToEndResult[] {
    return [...this.totals].map(([page, totals]) => {
      const latencies = [...totals.latenciesMs].sort((a, b) => a - b);
      const completed = latencies.length;
      const non2xx = Object.entries(totals.statusCounts)
        .filter(([code]) => !code.startsWith('2'))
        .reduce((sum, [, count]) => sum + count, 0);
      return {
        page,
        connections: this.options.connections,
        slices: totals.slices,
        durationSeconds: totals.elapsedMs / 1000,
        requestsPerSecond: totals.elapsedMs === 0 ? 0 : ((completed - non2xx) / totals.elapsedMs) * 1000,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        completed,
        non2xx,
        statusCounts: totals.statusCounts,
        errors: totals.errors,
        timeouts: totals.timeouts,
        ...(totals.cpuMs === undefined || completed === 0 ? {} : { serviceCpuMsPerRequest: totals.cpuMs / completed }),
        loadAverage: totals.slices === 0 ? 0 : totals.loadAverageSum / totals.slices,
        sampleCorrect: totals.sampleCorrect,
        ...(totals.sampleDetail === undefined ? {} : { sampleDetail: totals.sampleDetail }),
        ...(totals.failure === undefined ? {} : { failure: totals.failure }),
      };
    });
  }

  async stop(): Promise<void> {
    await stopChild(this.service);
  }

  /** autocannon at `connections` for `durationMs`, every response's latency recorded. */
  private load(url: string, connections: number, durationMs: number): Promise<Load> {
    return new Promise((resolve, reject) => {
      const latenciesMs: number[] = [];
      const statusCounts: Record<string, number> = {};
      const started = performance.now();
      const instance = autocannon(
        { url, connections, headers: { host: SERVICE_HOST }, duration: durationMs / 1000, timeout: 30 },
        (error, result) => {
          if (error) return reject(error);
          resolve({ latenciesMs, statusCounts, errors: result.errors, timeouts: result.timeouts, elapsedMs: performance.now() - started });
        },
      );
      instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
        latenciesMs.push(responseTimeMs);
        statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      });
    });
  }
}
