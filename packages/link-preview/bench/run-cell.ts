import { forkTypeScript, stopChild } from './child-processes.js';
import type { ContenderInfo } from './contenders/contender.js';
import { diffStats, type FixtureServer } from './fixture-client.js';
import type { BenchPage } from './pages.js';
import type { CellMeasurement, CellSpec, FixtureStats, OrchestratorMessage, RunnerMessage } from './protocol.js';

export interface CellSettings {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly maxPreviews: number;
  readonly previewTimeoutMs: number;
}

export interface CellResult {
  readonly contender: string;
  readonly contenderLabel: string;
  readonly kind: ContenderInfo['kind'];
  readonly page: BenchPage['id'];
  readonly pageLabel: string;
  readonly concurrency: number;
  readonly measurement?: CellMeasurement;
  /** What the fixture server saw during the measured window. */
  readonly server?: FixtureStats;
  /** Why the cell produced no figures (crash, hang, contender could not load). */
  readonly failure?: string;
}

/** Runs one cell in a fresh process and collects its figures and the server's view of the window. */
export async function runCell(
  contender: ContenderInfo,
  page: BenchPage,
  concurrency: number,
  fixture: FixtureServer,
  settings: CellSettings,
): Promise<CellResult> {
  const spec: CellSpec = {
    contender: contender.id,
    pageId: page.id,
    url: `http://127.0.0.1:${fixture.port}${page.path}`,
    concurrency,
    fixturePort: fixture.port,
    ...settings,
  };
  const identity = {
    contender: contender.id,
    contenderLabel: contender.label,
    kind: contender.kind,
    page: page.id,
    pageLabel: page.label,
    concurrency,
  };
  const child = forkTypeScript('./contender-process.ts', [JSON.stringify(spec)], { measured: true, quiet: true });
  // Warm-up, one measured window, in-flight previews that may each take up to the timeout, start-up.
  const hardLimitMs = settings.warmupMs + settings.measureMs + 2 * settings.previewTimeoutMs + 30_000;
  const snapshots: Partial<Record<'start' | 'end', FixtureStats>> = {};

  const outcome = new Promise<CellResult>((resolve) => {
    const timer = setTimeout(() => {
      resolve({ ...identity, failure: `no result within ${hardLimitMs} ms; killed` });
      void stopChild(child, 'SIGKILL');
    }, hardLimitMs);
    child.on('message', (message: RunnerMessage) => {
      if (message.type === 'mark') {
        void fixture.stats().then((stats) => {
          snapshots[message.phase] = stats;
          child.send({ type: 'marked' } satisfies OrchestratorMessage);
        });
      } else {
        clearTimeout(timer);
        if (message.type === 'failed') {
          resolve({ ...identity, failure: message.error });
        } else {
          const { start, end } = snapshots;
          resolve({
            ...identity,
            measurement: message.measurement,
            ...(start && end ? { server: diffStats(end, start) } : {}),
          });
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ...identity, failure: `process exited (code ${code}, signal ${signal}) without a result` });
    });
  });
  const result = await outcome;
  await stopChild(child);
  return result;
}
