/**
 * One contender on one page at one concurrency, in a process of its own so that peak RSS belongs
 * to that contender and that page alone. Spec in argv[2] (JSON). It loads the contender, warms up,
 * says `ready`, then measures one slice per `measure` message until told to `finish`.
 */
import { loadavg } from 'node:os';
import { clientSocketTotals, installClientSocketGuard } from './client-sockets.js';
import { contenderById } from './contenders/index.js';
import type { Contender, PreviewFields } from './contenders/contender.js';
import { closedLoop } from './load-loop.js';
import { loadExpected, PAGES, type ExpectedPreview } from './pages.js';
import type { CellSpec, OrchestratorMessage, RunnerMessage, SliceMeasurement } from './protocol.js';

// Before any contender module loads: no socket escapes the guard or the meter.
installClientSocketGuard();

const WARMUP_MAX_CONCURRENCY = 4;

function describeMismatch(actual: PreviewFields, expected: ExpectedPreview): string | undefined {
  const wrongFields = (['title', 'description', 'image'] as const).filter(
    (field) => actual[field]?.trim() !== expected[field],
  );
  if (wrongFields.length === 0) return undefined;
  return wrongFields
    .map((field) => `${field}: got ${JSON.stringify(actual[field])}, expected ${JSON.stringify(expected[field])}`)
    .join('; ');
}

function send(message: RunnerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

const awaitingMark: (() => void)[] = [];

/** Lets the orchestrator snapshot the fixture server's counters at the edges of a slice. */
async function mark(phase: 'start' | 'end'): Promise<void> {
  const acknowledged = new Promise<void>((resolve) => awaitingMark.push(resolve));
  await send({ type: 'mark', phase });
  await acknowledged;
}

async function measureSlice(contender: Contender, spec: CellSpec, expected: ExpectedPreview, durationMs: number): Promise<SliceMeasurement> {
  await mark('start');
  const loadAverageAtStart = loadavg()[0] ?? 0;
  const cpuBefore = process.cpuUsage();
  const before = clientSocketTotals();
  const outcome = await closedLoop(() => contender.preview(spec.url), {
    concurrency: spec.concurrency,
    durationMs,
    maxCount: spec.maxPreviews,
    timeoutMs: spec.previewTimeoutMs,
  });
  const after = clientSocketTotals();
  const cpu = process.cpuUsage(cpuBefore);
  await mark('end');
  const mismatches = outcome.results.map((result) => describeMismatch(result, expected)).filter((m) => m !== undefined);
  return {
    completed: outcome.results.length,
    errors: outcome.errors.length,
    wrong: mismatches.length,
    firstError: outcome.errors[0],
    firstWrong: mismatches[0],
    elapsedMs: outcome.elapsedMs,
    latenciesMs: outcome.latenciesMs,
    socketBytesRead: after.bytesRead - before.bytesRead,
    connectionsOpened: after.connectionsOpened - before.connectionsOpened,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    loadAverageAtStart,
  };
}

async function main(spec: CellSpec): Promise<void> {
  const page = PAGES.find((candidate) => candidate.id === spec.pageId);
  if (!page) throw new Error(`unknown page "${spec.pageId}"`);
  const expected = loadExpected()[page.expectedKey];
  const { create } = await contenderById(spec.contender).load();
  const contender = await create({ fixturePort: spec.fixturePort });
  const baselineRssBytes = process.memoryUsage.rss();

  // Warm-up at a modest concurrency: JIT, connection pool, lazy module loads.
  await closedLoop(() => contender.preview(spec.url), {
    concurrency: Math.min(spec.concurrency, WARMUP_MAX_CONCURRENCY),
    durationMs: spec.warmupMs,
    maxCount: spec.maxPreviews,
    timeoutMs: spec.previewTimeoutMs,
  });

  process.on('message', (message: OrchestratorMessage) => {
    if (message.type === 'marked') {
      awaitingMark.shift()?.();
    } else if (message.type === 'measure') {
      measureSlice(contender, spec, expected, message.durationMs)
        .then((slice) => send({ type: 'slice', slice }))
        .catch(fail);
    } else {
      contender
        .close()
        .then(() => send({ type: 'finished', peakRssBytes: process.resourceUsage().maxRSS * 1024 }))
        // Libraries may keep sockets or timers alive; the cell is over once its figures are sent.
        .finally(() => process.exit(0));
    }
  });
  await send({ type: 'ready', baselineRssBytes });
}

function fail(error: unknown): void {
  void send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }).finally(() =>
    process.exit(1),
  );
}

main(JSON.parse(process.argv[2] ?? '{}') as CellSpec).catch(fail);
// The orchestrator going away (even by a crash) ends this process too.
process.on('disconnect', () => process.exit(0));
