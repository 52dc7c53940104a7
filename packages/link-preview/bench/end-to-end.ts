/**
 * The running service under load: a bench-only launcher starts the real app (the same
 * createApp/serve path as production) with the loopback fixture allowance, then autocannon drives
 * `GET /preview?url=…` at a fixed concurrency.
 */
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { forkTypeScript, nextMessage, stopChild } from './child-processes.js';
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
  /** One request made before the load, checked against expected.json. */
  readonly sampleCorrect: boolean;
  readonly sampleDetail?: string;
}

export interface EndToEndOptions {
  readonly fixturePort: number;
  readonly pages: readonly BenchPage[];
  readonly connections: number;
  readonly durationSeconds: number;
}

const LAUNCHER = './service-launcher.ts';
/** The Host header the chart puts on the allowlist; sent on every request, as the Natter API does. */
const SERVICE_HOST = 'natter-link-preview-service:4567';
export const SERVICE_SOURCES = ['../src/app.ts', '../src/server.ts'];

/** Why the end-to-end part cannot run yet, or undefined when it can. */
export function endToEndUnavailable(): string | undefined {
  const missing = SERVICE_SOURCES.filter((path) => !existsSync(fileURLToPath(new URL(path, import.meta.url))));
  return missing.length > 0 ? `service not present (${missing.join(', ')} missing)` : undefined;
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

const isListening = (message: unknown): message is { type: 'listening'; url: string } =>
  (message as { type?: string }).type === 'listening';

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult[]> {
  const service = forkTypeScript(LAUNCHER, [], {
    measured: true,
    // Structured logs would only slow the terminal down; the service still writes them (to /dev/null).
    quiet: true,
    env: {
      ...process.env,
      PORT: '0',
      ALLOWED_HOSTS: SERVICE_HOST,
      PREVIEW_ALLOWED_PORTS: `80,443,${options.fixturePort}`,
    },
  });
  try {
    const { url: serviceUrl } = await nextMessage(service, isListening, 60_000);
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
      const load = await autocannon({
        url: previewUrl,
        connections: options.connections,
        headers: { host: SERVICE_HOST },
        duration: options.durationSeconds,
        timeout: 30,
      });
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
        sampleCorrect,
        ...(sampleCorrect ? {} : { sampleDetail: `HTTP ${sample.status} ${JSON.stringify(sample.body)}` }),
      });
    }
    return results;
  } finally {
    await stopChild(service);
  }
}
