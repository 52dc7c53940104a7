/**
 * One cell (contender × page × concurrency) in a process of its own, so peak RSS belongs to that
 * contender and that page alone. Spec in argv[2] (JSON); the result goes back over IPC.
 */
import { loadavg } from 'node:os';
import { clientSocketTotals, installClientSocketGuard } from './client-sockets.js';
import { contenderById } from './contenders/index.js';
import type { PreviewFields } from './contenders/contender.js';
import { closedLoop } from './load-loop.js';
import { loadExpected, PAGES, type ExpectedPreview } from './pages.js';
import type { CellMeasurement, CellSpec, OrchestratorMessage, RunnerMessage } from './protocol.js';
import { percentile } from './stats.js';

// Before any contender module loads: no socket escapes the guard or the meter.
installClientSocketGuard();

const WARMUP_MAX_CONCURRENCY = 4;

function describeMismatch(actual: PreviewFields, expected: ExpectedPreview): string | undefined {
  const wrongFields = (['title', 'description', 'image'] as const).filter(
    (field) => actual[field]?.trim() !== expected[field],
  );
  if (wrongFields.length === 0) return undefined;
  return wrongFields.map((field) => `${field}: got ${JSON.stringify(actual[field])}, expected ${JSON.stringify(expected[field])}`).join('; ');
}

async function measure(spec: CellSpec): Promise<CellMeasurement> {
  const page = PAGES.find((candidate) => candidate.id === spec.pageId);
  if (!page) throw new Error(`unknown page "${spec.pageId}"`);
  const expected = loadExpected()[page.expectedKey];
  const { create } = await contenderById(spec.contender).load();
  const contender = await create({ fixturePort: spec.fixturePort });
  const baselineRssBytes = process.memoryUsage.rss();
  const previewOnce = (): Promise<PreviewFields> => contender.preview(spec.url);

  // Warm-up at a modest concurrency: JIT, connection pool, lazy module loads.
  await closedLoop(previewOnce, {
    concurrency: Math.min(spec.concurrency, WARMUP_MAX_CONCURRENCY),
    durationMs: spec.warmupMs,
    maxCount: spec.maxPreviews,
    timeoutMs: spec.previewTimeoutMs,
  });

  await mark('start');
  const loadAverageAtStart = loadavg()[0] ?? 0;
  const cpuBefore = process.cpuUsage();
  const before = clientSocketTotals();
  const outcome = await closedLoop(previewOnce, {
    concurrency: spec.concurrency,
    durationMs: spec.measureMs,
    maxCount: spec.maxPreviews,
    timeoutMs: spec.previewTimeoutMs,
  });
  const after = clientSocketTotals();
  const cpu = process.cpuUsage(cpuBefore);
  await mark('end');
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  await contender.close();

  const mismatches = outcome.results.map((result) => describeMismatch(result, expected)).filter((m) => m !== undefined);
  const latencies = [...outcome.latenciesMs].sort((a, b) => a - b);
  return {
    completed: outcome.results.length,
    errors: outcome.errors.length,
    wrong: mismatches.length,
    firstError: outcome.errors[0],
    firstWrong: mismatches[0],
    elapsedMs: outcome.elapsedMs,
    previewsPerSecond: (outcome.results.length / outcome.elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    baselineRssBytes,
    peakRssBytes,
    socketBytesRead: after.bytesRead - before.bytesRead,
    connectionsOpened: after.connectionsOpened - before.connectionsOpened,
    cpuMsPerPreview: outcome.results.length === 0 ? 0 : (cpu.user + cpu.system) / 1000 / outcome.results.length,
    loadAverageAtStart,
  };
}

function reply(message: RunnerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

/** Lets the orchestrator snapshot the fixture server's counters at the edges of the window. */
async function mark(phase: 'start' | 'end'): Promise<void> {
  const acknowledged = new Promise<void>((resolve) => {
    const onMessage = (message: OrchestratorMessage): void => {
      if (message.type !== 'marked') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
  await reply({ type: 'mark', phase });
  await acknowledged;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as CellSpec;
measure(spec)
  .then((measurement) => reply({ type: 'result', measurement }))
  .catch((error: unknown) => reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
  // Libraries may keep sockets or timers alive; the cell is over once its figures are sent.
  .finally(() => process.exit(0));
