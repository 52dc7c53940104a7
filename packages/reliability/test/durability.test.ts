/**
 * Durability under database faults: the real API process (and the real migration) on a database
 * of its own, concurrent writers for a bounded time, and faults injected meanwhile. Afterwards
 * every message acknowledged with 201 is readable (through the API, and intact in the table), none
 * is stored twice, the process never exited, and while the server was away every request got a
 * 503 with Retry-After within its deadline.
 *
 * Two scenarios: the API's backends terminated on the PostgreSQL of NATTER_TEST_DATABASE_URL (the
 * one CI starts; only this run's role and database are touched), and — as root, or wherever the
 * server binaries run — a private cluster of the test's own that is also crashed and restarted.
 */
import { randomBytes } from 'node:crypto';
import { basicAuth, privatePostgresSupport, request, startPrivatePostgres, type PrivatePostgres } from '@natter/process-harness';
import { describe, expect, it } from 'vitest';
import { createApiDatabase, type ApiDatabase } from '../src/api-database.js';
import { TEST_DATABASE_URL } from '../src/api-with-database.js';
import { injectFaults, type Fault, type FaultReport } from '../src/faults.js';
import { linesRevealing } from '../src/planted-secrets.js';
import { startApi, type RunningService } from '../src/services.js';
import { runWriteLoad, type WriteOutcome } from '../src/write-load.js';

const WRITERS = 16;
const DEADLINE_MS = 8000;
const PASSWORD = 'reliability-suite-password';
const privateSupport = await privatePostgresSupport();
const root = process.getuid?.() === 0;
if (TEST_DATABASE_URL === undefined) console.warn('durability on the shared server skipped: NATTER_TEST_DATABASE_URL is not set (CI sets it)');
if (!privateSupport.available) console.warn(`durability across PostgreSQL restarts skipped: ${privateSupport.reason}`);
else if (!root) console.warn('durability across PostgreSQL restarts skipped: not root (the private cluster would run as this user; the suite restarts PostgreSQL only as root)');

interface Counts {
  readonly sent: number;
  readonly acknowledged: number;
  readonly unavailable: number;
  readonly other: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly storedUnacknowledged: number;
}

interface ScenarioResult {
  readonly counts: Counts;
  readonly faults: FaultReport;
  /** Requests made entirely inside an outage, and those of them that were not a 503 with Retry-After. */
  readonly duringOutages: readonly WriteOutcome[];
  readonly otherOutcomes: readonly WriteOutcome[];
  readonly slowest: number;
  readonly exited: ReturnType<RunningService['exit']>;
  readonly leakedTokens: number;
}

/** Sets up a space, runs the writers and the faults together, then reads everything back. */
async function runScenario(options: { name: string; superuserUrl: string; server?: PrivatePostgres; faults: readonly Fault[]; durationMs: number; maxRequests: number }): Promise<ScenarioResult> {
  const database: ApiDatabase = await createApiDatabase(options.superuserUrl);
  let api: RunningService | undefined;
  try {
    api = await startApi({ name: 'natter-api', database: database.api });
    const baseUrl = `http://127.0.0.1:${api.port}`;
    const headers = { host: api.host };
    const author = `writer${randomBytes(4).toString('hex')}`;
    expect((await request(`${baseUrl}/users`, { headers, json: { username: author, password: PASSWORD } })).status).toBe(201);
    const session = await request(`${baseUrl}/sessions`, { method: 'POST', headers: { ...headers, authorization: basicAuth(author, PASSWORD) } });
    const bearer = `Bearer ${session.json<{ token: string }>().token}`;
    const space = await request(`${baseUrl}/spaces`, { headers: { ...headers, authorization: bearer }, json: { name: `durability-${author}`, owner: author } });
    const { 'messages-rw': capability } = space.json<{ 'messages-rw': string }>();
    const spaceId = Number(/\/spaces\/(\d+)\//.exec(capability)![1]);

    const started = performance.now();
    const [outcomes, faults] = await Promise.all([
      runWriteLoad({ baseUrl, host: api.host, capability, authorization: bearer, author, writers: WRITERS, durationMs: options.durationMs, maxRequests: options.maxRequests, deadlineMs: DEADLINE_MS, backoffMs: 100, runId: author }, started),
      injectFaults(options.faults, { database, ...(options.server === undefined ? {} : { server: options.server }) }, started),
    ]);

    // Recovered without a restart: ready again, then everything read back through the API…
    await waitUntilReady(baseUrl, api.host).catch((error: Error) => {
      throw new Error(`${error.message}; its last log lines:\n${api!.logs.slice(-8).map((line) => line.text.slice(0, 400)).join('\n')}`);
    });
    const listing = await request(`${baseUrl}${capability}`, { headers: { ...headers, authorization: bearer }, timeoutMs: 30_000 });
    expect(listing.status).toBe(200);
    const listed = new Set(listing.json<string[]>().map((uri) => Number(/\/messages\/(\d+)\?/.exec(uri)![1])));
    // …and checked in the table itself: same text under the acknowledged id, no text twice.
    const rows = await database.query<{ msg_id: string; msg_text: string }>('SELECT msg_id::text AS msg_id, msg_text FROM messages WHERE space_id = $1', [spaceId]);
    const stored = new Map(rows.map((row) => [Number(row.msg_id), row.msg_text]));
    const textCounts = new Map<string, number>();
    for (const row of rows) textCounts.set(row.msg_text, (textCounts.get(row.msg_text) ?? 0) + 1);

    const acknowledged = outcomes.filter((outcome) => outcome.status === 201);
    const lost = acknowledged.filter((outcome) => outcome.messageId === undefined || !listed.has(outcome.messageId) || stored.get(outcome.messageId) !== outcome.text);
    const acknowledgedTexts = new Set(acknowledged.map((outcome) => outcome.text));
    const unavailable = outcomes.filter((outcome) => outcome.status === 503 && outcome.retryAfter !== undefined);
    const otherOutcomes = outcomes.filter((outcome) => outcome.status !== 201 && !(outcome.status === 503 && outcome.retryAfter !== undefined));
    const duringOutages = outcomes.filter((outcome) => faults.outages.some((outage) => outcome.sentAt >= outage.from && outcome.answeredAt <= outage.until));
    const counts: Counts = {
      sent: outcomes.length,
      acknowledged: acknowledged.length,
      unavailable: unavailable.length,
      other: otherOutcomes.length,
      lost: lost.length,
      duplicated: [...textCounts.values()].filter((count) => count > 1).length,
      storedUnacknowledged: rows.filter((row) => !acknowledgedTexts.has(row.msg_text)).length,
    };
    console.log(`timeline (${options.name}), one character per second: ${timeline(outcomes)}`);
    const restarts = faults.outages.map((outage) => `${outage.mode} at ${(outage.from / 1000).toFixed(1)} s, down ${Math.round(outage.until - outage.from)} ms, back after ${Math.round(outage.back - outage.from)} ms`).join('; ') || 'none';
    console.log(
      `durability (${options.name}): sent=${counts.sent} acknowledged=${counts.acknowledged} 503=${counts.unavailable} other=${counts.other} lost=${counts.lost} ` +
        `duplicated=${counts.duplicated} stored-unacknowledged=${counts.storedUnacknowledged} | ${faults.terminations} terminations (${faults.terminatedBackends} backends), ` +
        `restarts: ${restarts}, ${duringOutages.length} requests inside outages, slowest ${Math.round(Math.max(...outcomes.map((outcome) => outcome.answeredAt - outcome.sentAt)))} ms`,
    );
    const tokens = [bearer.slice('Bearer '.length), new URL(capability, baseUrl).searchParams.get('access_token')!];
    return {
      counts,
      faults,
      duringOutages,
      otherOutcomes,
      slowest: Math.max(...outcomes.map((outcome) => outcome.answeredAt - outcome.sentAt)),
      exited: api.exit(),
      leakedTokens: linesRevealing(api.logs, tokens).length,
    };
  } finally {
    await api?.stop();
    await database.close();
  }
}

/** Per second of the load: `.` every request acknowledged, `x` every one a 503, `:` both, `!` anything else. */
function timeline(outcomes: readonly WriteOutcome[]): string {
  const seconds = Math.ceil(Math.max(...outcomes.map((outcome) => outcome.answeredAt)) / 1000);
  return Array.from({ length: seconds }, (_, second) => {
    const inSecond = outcomes.filter((outcome) => Math.floor(outcome.answeredAt / 1000) === second);
    const statuses = new Set(inSecond.map((outcome) => (outcome.status === 201 ? 'ok' : outcome.status === 503 ? 'unavailable' : 'other')));
    if (statuses.has('other')) return '!';
    if (statuses.size === 0) return ' ';
    return statuses.size === 2 ? ':' : statuses.has('ok') ? '.' : 'x';
  }).join('');
}

async function waitUntilReady(baseUrl: string, host: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await request(`${baseUrl}/ready`, { headers: { host }, timeoutMs: 5000 }).catch(() => undefined);
    if (ready?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the API was not ready again 30 s after the faults (last: ${ready?.status ?? 'no answer'})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What every scenario must show. */
function expectDurable(result: ScenarioResult): void {
  expect(result.exited, 'the API process exited').toBeUndefined();
  expect(result.otherOutcomes.slice(0, 5).map((outcome) => `${outcome.status} after ${Math.round(outcome.answeredAt - outcome.sentAt)} ms: ${outcome.detail ?? ''}`)).toEqual([]);
  expect(result.slowest).toBeLessThan(DEADLINE_MS);
  expect(result.counts).toMatchObject({ other: 0, lost: 0, duplicated: 0 });
  expect(result.counts.acknowledged).toBeGreaterThan(0);
  expect(result.faults.terminatedBackends, 'no backend of the API was terminated: the fault never hit').toBeGreaterThan(0);
  expect(result.leakedTokens, 'the API logged its session or capability token').toBe(0);
}

describe('durability under database faults', () => {
  it.skipIf(TEST_DATABASE_URL === undefined)(
    "when the API's backends are terminated again and again under write load, then no acknowledged message is lost or doubled and the process lives",
    async () => {
      const result = await runScenario({
        name: 'backends terminated',
        superuserUrl: TEST_DATABASE_URL!,
        faults: [2000, 4500, 7000, 9500].map((atMs) => ({ atMs, kind: 'terminate-backends' as const })),
        durationMs: 12_000,
        maxRequests: 4000,
      });
      expectDurable(result);
    },
  );

  it.skipIf(!privateSupport.available || !root)(
    'when a private PostgreSQL is crashed (pg_ctl stop -m immediate, SIGKILL to the postmaster) and restarted under write load, then every request meanwhile gets 503 + Retry-After at once, and nothing acknowledged is lost',
    async () => {
      const server = await startPrivatePostgres();
      try {
        const result = await runScenario({
          name: 'PostgreSQL restarted',
          superuserUrl: server.url,
          server,
          faults: [
            { atMs: 1500, kind: 'terminate-backends' },
            { atMs: 3500, kind: 'restart', mode: 'immediate', downMs: 2000 },
            { atMs: 9000, kind: 'terminate-backends' },
            { atMs: 11_000, kind: 'restart', mode: 'kill', downMs: 2000 },
          ],
          durationMs: 17_000,
          maxRequests: 5000,
        });
        expectDurable(result);
        expect(result.faults.outages).toHaveLength(2);
        // The outages were seen, and answered as the contract says: 503 + Retry-After, at once.
        expect(result.duringOutages.length).toBeGreaterThan(0);
        expect(result.duringOutages.filter((outcome) => outcome.status !== 503 || outcome.retryAfter === undefined).map((outcome) => outcome.status)).toEqual([]);
      } finally {
        await server.close();
      }
    },
  );
});
