import { CellProcess } from './cell-process.js';
import type { ContenderInfo } from './contenders/contender.js';
import type { FixtureServer } from './fixture-client.js';
import type { BenchPage } from './pages.js';
import type { CellMeasurement, FixtureStats, SliceMeasurement } from './protocol.js';
import { percentile } from './stats.js';

export interface BlockSettings {
  readonly warmupMs: number;
  /** Measured time each contender gets in total, in slices of `measureMs / slices`. */
  readonly measureMs: number;
  readonly slices: number;
  readonly maxPreviews: number;
  readonly previewTimeoutMs: number;
}

/**
 * Something measured outside the contender processes (the running service, end to end) whose
 * slices take turns with the contenders' slices of the same page and concurrency.
 */
export interface InterleavedSlices {
  readonly label: string;
  /** Runs once every contender is loaded and warmed up, before the first slice. */
  prepare(): Promise<void>;
  measureSlice(durationMs: number): Promise<void>;
  /** Told why no further slices will be asked for. */
  fail(reason: string): void;
}

export interface CellResult {
  readonly contender: string;
  readonly contenderLabel: string;
  readonly kind: ContenderInfo['kind'];
  readonly page: BenchPage['id'];
  readonly pageLabel: string;
  readonly concurrency: number;
  readonly measurement?: CellMeasurement;
  /** What the fixture server saw while this contender was measured. */
  readonly server?: FixtureStats;
  /** Why the cell produced no figures (crash, hang, contender could not load). */
  readonly failure?: string;
}

interface Entry {
  readonly info: ContenderInfo;
  process?: CellProcess;
  baselineRssBytes: number;
  peakRssBytes: number;
  readonly slices: SliceMeasurement[];
  readonly servers: FixtureStats[];
  measuredMs: number;
  failure?: string;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function sumStats(all: readonly FixtureStats[]): FixtureStats | undefined {
  if (all.length === 0) return undefined;
  return all.reduce((sum, stats) => ({
    requests: sum.requests + stats.requests,
    connections: sum.connections + stats.connections,
    bodyBytesFlushed: sum.bodyBytesFlushed + stats.bodyBytesFlushed,
    gzipWithoutAcceptEncoding: sum.gzipWithoutAcceptEncoding + stats.gzipWithoutAcceptEncoding,
    cpuMicros: sum.cpuMicros + stats.cpuMicros,
  }));
}

function aggregate(entry: Entry): CellMeasurement {
  const total = (pick: (slice: SliceMeasurement) => number): number => entry.slices.reduce((sum, slice) => sum + pick(slice), 0);
  const completed = total((slice) => slice.completed);
  const elapsedMs = total((slice) => slice.elapsedMs);
  const latencies = entry.slices.flatMap((slice) => slice.latenciesMs).sort((a, b) => a - b);
  const perPreview = (micros: number): number => (completed === 0 ? 0 : micros / 1000 / completed);
  const firstError = entry.slices.find((slice) => slice.firstError)?.firstError;
  const firstWrong = entry.slices.find((slice) => slice.firstWrong)?.firstWrong;
  return {
    slices: entry.slices.length,
    completed,
    errors: total((slice) => slice.errors),
    wrong: total((slice) => slice.wrong),
    ...(firstError === undefined ? {} : { firstError }),
    ...(firstWrong === undefined ? {} : { firstWrong }),
    elapsedMs,
    previewsPerSecond: elapsedMs === 0 ? 0 : (completed / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    baselineRssBytes: entry.baselineRssBytes,
    peakRssBytes: entry.peakRssBytes,
    socketBytesRead: total((slice) => slice.socketBytesRead),
    connectionsOpened: total((slice) => slice.connectionsOpened),
    cpuMsPerPreview: perPreview(total((slice) => slice.cpuUserMicros + slice.cpuSystemMicros)),
    systemCpuMsPerPreview: perPreview(total((slice) => slice.cpuSystemMicros)),
    loadAverage: entry.slices.length === 0 ? 0 : total((slice) => slice.loadAverageAtStart) / entry.slices.length,
  };
}

/**
 * All contenders on one page at one concurrency. Each gets its own process, loaded and warmed up
 * one after the other; then they are measured in interleaved slices (round r starts with
 * contender r), so a burst of load from elsewhere on the machine hits all of them alike. A
 * contender stops getting slices once it has had `measureMs` (a slow one may get only one).
 * `interleaved` (the service end to end) takes a turn in every round too, for `interleavedSliceMs`.
 */
export async function runBlock(
  contenders: readonly ContenderInfo[],
  page: BenchPage,
  concurrency: number,
  fixture: FixtureServer,
  settings: BlockSettings,
  log: (line: string) => void,
  interleaved?: { readonly slices: InterleavedSlices; readonly sliceMs: number },
): Promise<CellResult[]> {
  const entries: Entry[] = [];
  for (const info of contenders) {
    const entry: Entry = { info, baselineRssBytes: 0, peakRssBytes: 0, slices: [], servers: [], measuredMs: 0 };
    entries.push(entry);
    try {
      const started = await CellProcess.start(
        {
          contender: info.id,
          pageId: page.id,
          url: `http://127.0.0.1:${fixture.port}${page.path}`,
          concurrency,
          fixturePort: fixture.port,
          warmupMs: settings.warmupMs,
          maxPreviews: settings.maxPreviews,
          previewTimeoutMs: settings.previewTimeoutMs,
        },
        fixture,
      );
      entry.process = started.process;
      entry.baselineRssBytes = started.baselineRssBytes;
    } catch (error) {
      entry.failure = `could not start: ${message(error)}`;
    }
  }

  let interleavedFailed = false;
  const measureInterleaved = async (): Promise<void> => {
    if (!interleaved || interleavedFailed) return;
    try {
      await interleaved.slices.measureSlice(interleaved.sliceMs);
    } catch (error) {
      interleavedFailed = true;
      interleaved.slices.fail(message(error));
      log(`        ${interleaved.slices.label}: FAILED ${message(error)}`);
    }
  };
  if (interleaved) {
    try {
      await interleaved.slices.prepare();
    } catch (error) {
      interleavedFailed = true;
      interleaved.slices.fail(`could not prepare: ${message(error)}`);
      log(`        ${interleaved.slices.label}: FAILED to prepare: ${message(error)}`);
    }
  }

  const sliceMs = settings.measureMs / settings.slices;
  const participants: (Entry | 'interleaved')[] = interleaved ? [...entries, 'interleaved'] : entries;
  for (let round = 0; round < settings.slices; round += 1) {
    const shift = round % participants.length;
    const order = [...participants.slice(shift), ...participants.slice(0, shift)];
    for (const entry of order) {
      if (entry === 'interleaved') {
        await measureInterleaved();
        continue;
      }
      if (!entry.process || entry.failure || entry.measuredMs >= settings.measureMs) continue;
      try {
        const { slice, server } = await entry.process.measure(sliceMs);
        entry.slices.push(slice);
        if (server) entry.servers.push(server);
        entry.measuredMs += slice.elapsedMs;
      } catch (error) {
        entry.failure = `failed while measuring: ${message(error)}`;
      }
    }
  }

  for (const entry of entries) {
    if (!entry.process) continue;
    try {
      if (entry.failure) await entry.process.kill();
      else entry.peakRssBytes = await entry.process.finish();
    } catch (error) {
      entry.failure = `failed while finishing: ${message(error)}`;
    }
  }

  return entries.map((entry) => {
    const identity = {
      contender: entry.info.id,
      contenderLabel: entry.info.label,
      kind: entry.info.kind,
      page: page.id,
      pageLabel: page.label,
      concurrency,
    };
    if (entry.failure) {
      log(`        ${entry.info.id}: FAILED ${entry.failure.split('\n')[0]}`);
      return { ...identity, failure: entry.failure };
    }
    const measurement = aggregate(entry);
    const server = sumStats(entry.servers);
    log(`        ${entry.info.id}: ${measurement.previewsPerSecond.toFixed(1)}/s over ${measurement.slices} slice(s), ${measurement.completed} previews`);
    return { ...identity, measurement, ...(server ? { server } : {}) };
  });
}
