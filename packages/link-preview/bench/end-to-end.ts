/**
 * The running service under load: the test launcher (test/support/serve-with-fixture-allowance.ts,
 * the same parseConfig → createApp → serve path as src/server.ts plus the loopback fixture
 * allowance, which only that launcher can switch on) runs in its own process, and autocannon drives
 * `GET /preview?url=…` at a fixed number of connections.
 */
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { forkTypeScript, stopChild } from './child-processes.js';
import { loadExpected, type BenchPage } from './pages.js';

export interface EndToEndResult {
  readonly page: BenchPage['id'];
  readonly connections: number;
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
  /** 1-minute load average when the load started. */
  readonly loadAverage: number;
  /** One request made before the load, checked against expected.json. */
  readonly sampleCorrect: boolean;
  readonly sampleDetail?: string;
}

export interface EndToEndOptions {
  readonly fixturePort: number;
  readonly pages: readonly BenchPage[];
  readonly connections: number;
  readonly durationSeconds: number;
  /** Load before each page's measured run, as the in-process cells get before theirs (JIT, pools). */
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

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult[]> {
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
    const serviceUrl = await listeningUrl(service, 60_000);
    const expected = loadExpected();
    const results: EndToEndResult[] = [];
    for (const page of options.pages) {
      const target = `http://127.0.0.1:${options.fixturePort}${page.path}`;
      const previewUrl = `${serviceUrl}/preview?url=${encodeURIComponent(target)}`;
      const sample = await getJson(previewUrl, SERVICE_HOST);
      const want = expected[page.expectedKey];
      const got = sample.body as Record<string, unknown>;
      const sampleCorrect =
        sample.status === 200 && got.title === want.title && got.description === want.description && got.image === want.image;
      await autocannon({
        url: previewUrl,
        connections: Math.min(options.connections, WARMUP_CONNECTIONS),
        headers: { host: SERVICE_HOST },
        duration: options.warmupMs / 1000,
        timeout: 30,
      });
      const loadAverage = loadavg()[0] ?? 0;
      const cpuBefore = processCpuMs(service.pid);
      const load = await autocannon({
        url: previewUrl,
        connections: options.connections,
        headers: { host: SERVICE_HOST },
        duration: options.durationSeconds,
        timeout: 30,
      });
      const cpuAfter = processCpuMs(service.pid);
      results.push({
        page: page.id,
        connections: options.connections,
        durationSeconds: load.duration,
        requestsPerSecond: load.latency.totalCount / load.duration,
        p50Ms: load.latency.p50,
        p99Ms: load.latency.p99,
        completed: load.latency.totalCount,
        non2xx: load.non2xx,
        statusCounts: Object.fromEntries(Object.entries(load.statusCodeStats).map(([code, { count }]) => [code, count])),
        errors: load.errors,
        timeouts: load.timeouts,
        ...(cpuBefore === undefined || cpuAfter === undefined || load.latency.totalCount === 0
          ? {}
          : { serviceCpuMsPerRequest: (cpuAfter - cpuBefore) / load.latency.totalCount }),
        loadAverage,
        sampleCorrect,
        ...(sampleCorrect ? {} : { sampleDetail: `HTTP ${sample.status} ${JSON.stringify(sample.body)}` }),
      });
    }
    return results;
  } finally {
    await stopChild(service);
  }
}
