import type { CellMeasurement } from './protocol.js';
import type { CellResult } from './run-block.js';
import type { BenchPage } from './pages.js';
import type { EndToEndResult } from './end-to-end.js';

/** Throughput goals are judged at this concurrency, the one the issue's reference figures use. */
export const GOAL_CONCURRENCY = 32;
export const MAX_BYTES_READ_PER_PREVIEW = 64 * 1024;
/** "RSS flat as page size grows", made checkable: peak RSS on 2 MB at most this multiple of 120 KB. */
export const MAX_RSS_GROWTH = 1.2;
/** Issue 13: the core at least as fast as the unchecked floor, every page, at c=1 and at c=32. */
export const MIN_CORE_VS_FLOOR = 1.0;
/** Issue 13: the running service at least this share of the in-process core's previews/s (same run). */
export const MIN_END_TO_END_VS_CORE = 0.8;
/** Issue 13: end-to-end p99 on the plain 120 KB page, at GOAL_CONCURRENCY connections. */
export const MAX_END_TO_END_P99_MS = 100;

export interface PageComparison {
  readonly page: BenchPage['id'];
  readonly concurrency: number;
  readonly corePerSecond?: number;
  readonly fastestLibrary?: {
    readonly contender: string;
    readonly perSecond: number;
    readonly cpuMsPerPreview: number;
    readonly returnsWrongData: boolean;
  };
  /** Throughput ratio, core / fastest library. */
  readonly coreVsFastestLibrary?: number;
  /** The same comparison by CPU time per preview (library / core): robust to other load on the machine. */
  readonly coreVsFastestLibraryByCpu?: number;
  readonly floorPerSecond?: number;
  readonly coreVsFloor?: number;
  /** Floor CPU per preview / core CPU per preview. */
  readonly coreVsFloorByCpu?: number;
  readonly coreBytesReadPerPreview?: number;
  readonly coreCpuMsPerPreview?: number;
}

export interface RssGrowth {
  readonly contender: string;
  readonly concurrency: number;
  readonly articlePeakRssBytes: number;
  readonly hugePeakRssBytes: number;
  /** huge / article. */
  readonly growth: number;
}

export type Verdict = 'PASS' | 'MISS' | 'NOT MEASURED';

export interface GoalVerdict {
  /** The issue that set the goal (older goals stay checked when newer ones are added). */
  readonly issue: string;
  readonly goal: string;
  readonly measured: string;
  readonly verdict: Verdict;
  /**
   * For throughput goals: the verdict when the same ratio is taken from CPU time per preview,
   * which a busy machine disturbs less. When it differs from `verdict`, the run was too noisy to
   * settle the goal.
   */
  readonly verdictByCpu?: Verdict;
}

/** The running service against the in-process core on one page, same run, same concurrency. */
export interface EndToEndComparison {
  readonly page: BenchPage['id'];
  readonly endToEndPerSecond: number;
  readonly corePerSecond?: number;
  /** end to end / core, previews per second. */
  readonly endToEndVsCore?: number;
  /** Core CPU per preview / service CPU per request: the same ratio by CPU time. */
  readonly endToEndVsCoreByCpu?: number;
  readonly p99Ms: number;
}

export interface Analysis {
  readonly comparisons: PageComparison[];
  readonly endToEndComparisons: EndToEndComparison[];
  readonly rssGrowth: RssGrowth[];
  readonly goals: GoalVerdict[];
}

export function bytesReadPerPreview(measurement: CellMeasurement): number {
  return measurement.completed === 0 ? 0 : measurement.socketBytesRead / measurement.completed;
}

function measured(cells: readonly CellResult[], contender: string, page: string, concurrency: number): CellMeasurement | undefined {
  return cells.find((cell) => cell.contender === contender && cell.page === page && cell.concurrency === concurrency)
    ?.measurement;
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  return numerator === undefined || denominator === undefined || denominator === 0 ? undefined : numerator / denominator;
}

function compare(cells: readonly CellResult[], page: BenchPage['id'], concurrency: number): PageComparison {
  const core = measured(cells, 'core', page, concurrency);
  const floor = measured(cells, 'undici-head-only', page, concurrency);
  const libraries = cells
    .filter((cell) => cell.kind === 'library' && cell.page === page && cell.concurrency === concurrency && cell.measurement)
    .sort((a, b) => (b.measurement?.previewsPerSecond ?? 0) - (a.measurement?.previewsPerSecond ?? 0));
  const fastest = libraries[0];
  const fastestLibrary = fastest?.measurement
    ? {
        contender: fastest.contender,
        perSecond: fastest.measurement.previewsPerSecond,
        cpuMsPerPreview: fastest.measurement.cpuMsPerPreview,
        returnsWrongData: fastest.measurement.wrong > 0,
      }
    : undefined;
  return {
    page,
    concurrency,
    corePerSecond: core?.previewsPerSecond,
    fastestLibrary,
    coreVsFastestLibrary: ratio(core?.previewsPerSecond, fastestLibrary?.perSecond),
    coreVsFastestLibraryByCpu: ratio(fastestLibrary?.cpuMsPerPreview, core?.cpuMsPerPreview),
    floorPerSecond: floor?.previewsPerSecond,
    coreVsFloor: ratio(core?.previewsPerSecond, floor?.previewsPerSecond),
    coreVsFloorByCpu: ratio(floor?.cpuMsPerPreview, core?.cpuMsPerPreview),
    coreBytesReadPerPreview: core ? bytesReadPerPreview(core) : undefined,
    coreCpuMsPerPreview: core?.cpuMsPerPreview,
  };
}

function rssGrowthOf(cells: readonly CellResult[], contender: string, concurrency: number): RssGrowth | undefined {
  const article = measured(cells, contender, 'article', concurrency);
  const huge = measured(cells, contender, 'huge', concurrency);
  if (!article || !huge) return undefined;
  return {
    contender,
    concurrency,
    articlePeakRssBytes: article.peakRssBytes,
    hugePeakRssBytes: huge.peakRssBytes,
    growth: huge.peakRssBytes / article.peakRssBytes,
  };
}

const times = (value: number): string => `${value.toFixed(2)}x`;

/** A goal over several measured values: PASS only when every one of them meets it. */
function judge(issue: string, goal: string, values: readonly (number | undefined)[], meets: (value: number) => boolean, show: (value: number) => string): GoalVerdict {
  const present = values.filter((value): value is number => value !== undefined);
  if (present.length === 0 || present.length < values.length) {
    return { issue, goal, measured: present.map(show).join(', ') || 'no figures', verdict: 'NOT MEASURED' };
  }
  return { issue, goal, measured: present.map(show).join(', '), verdict: present.every(meets) ? 'PASS' : 'MISS' };
}

/** A throughput-ratio goal, judged on previews/s and cross-checked on CPU time per preview. */
function judgeRatio<C>(
  issue: string,
  goal: string,
  comparisons: readonly (C | undefined)[],
  throughput: (comparison: C) => number | undefined,
  byCpu: (comparison: C) => number | undefined,
  meets: (value: number) => boolean,
  show: (value: number) => string,
): GoalVerdict {
  const onThroughput = judge(issue, goal, comparisons.map((c) => (c ? throughput(c) : undefined)), meets, show);
  const onCpu = judge(issue, goal, comparisons.map((c) => (c ? byCpu(c) : undefined)), meets, show);
  return { ...onThroughput, measured: `${onThroughput.measured} (by CPU ${onCpu.measured})`, verdictByCpu: onCpu.verdict };
}

function compareEndToEnd(run: EndToEndResult, comparisons: readonly PageComparison[]): EndToEndComparison {
  const core = comparisons.find((comparison) => comparison.page === run.page && comparison.concurrency === run.connections);
  return {
    page: run.page,
    endToEndPerSecond: run.requestsPerSecond,
    corePerSecond: core?.corePerSecond,
    endToEndVsCore: ratio(run.requestsPerSecond, core?.corePerSecond),
    endToEndVsCoreByCpu: ratio(core?.coreCpuMsPerPreview, run.serviceCpuMsPerRequest),
    p99Ms: run.p99Ms,
  };
}

const percentOf = (value: number): string => `${(value * 100).toFixed(0)}%`;

export function analyse(cells: readonly CellResult[], concurrencies: readonly number[], endToEnd: readonly EndToEndResult[]): Analysis {
  const pages: BenchPage['id'][] = ['article', 'article-gzip', 'huge'];
  const comparisons = concurrencies.flatMap((concurrency) => pages.map((page) => compare(cells, page, concurrency)));
  const contenders = [...new Set(cells.map((cell) => cell.contender))];
  const rssGrowth = concurrencies.flatMap((concurrency) =>
    contenders.map((contender) => rssGrowthOf(cells, contender, concurrency)).filter((growth) => growth !== undefined),
  );
  const at = (concurrency: number) => (page: BenchPage['id']): PageComparison | undefined =>
    comparisons.find((comparison) => comparison.page === page && comparison.concurrency === concurrency);
  const atGoalConcurrency = at(GOAL_CONCURRENCY);
  const coreCells = cells.filter((cell) => cell.contender === 'core');
  const endToEndComparisons = endToEnd.map((run) => compareEndToEnd(run, comparisons));
  const endToEndOn = (page: BenchPage['id']): EndToEndComparison | undefined =>
    endToEndComparisons.find((comparison) => comparison.page === page);

  const coreVsFloor = (concurrency: number): GoalVerdict =>
    judgeRatio(
      '13',
      `core >= ${MIN_CORE_VS_FLOOR.toFixed(1)}x the undici head-only floor, every page, at c=${concurrency}`,
      pages.map(at(concurrency)),
      (c) => c.coreVsFloor,
      (c) => c.coreVsFloorByCpu,
      (value) => value >= MIN_CORE_VS_FLOOR,
      times,
    );

  const goals: GoalVerdict[] = [
    coreVsFloor(GOAL_CONCURRENCY),
    coreVsFloor(1),
    judgeRatio(
      '13',
      `end to end (service, autocannon, c=${GOAL_CONCURRENCY}) >= ${MIN_END_TO_END_VS_CORE}x the in-process core, every page, same run`,
      pages.map(endToEndOn),
      (c) => c.endToEndVsCore,
      (c) => c.endToEndVsCoreByCpu,
      (value) => value >= MIN_END_TO_END_VS_CORE,
      times,
    ),
    judge(
      '13',
      `end to end p99 <= ${MAX_END_TO_END_P99_MS} ms on 120 KB at c=${GOAL_CONCURRENCY}`,
      [endToEndOn('article')?.p99Ms],
      (value) => value <= MAX_END_TO_END_P99_MS,
      (value) => `${value.toFixed(0)} ms`,
    ),
    judgeRatio(
      '3',
      `core >= 2x the fastest library on 120 KB (plain, gzip) at c=${GOAL_CONCURRENCY}`,
      [atGoalConcurrency('article'), atGoalConcurrency('article-gzip')],
      (c) => c.coreVsFastestLibrary,
      (c) => c.coreVsFastestLibraryByCpu,
      (value) => value >= 2,
      times,
    ),
    judgeRatio(
      '3',
      `core >= 20x the fastest library on 2 MB at c=${GOAL_CONCURRENCY}`,
      [atGoalConcurrency('huge')],
      (c) => c.coreVsFastestLibrary,
      (c) => c.coreVsFastestLibraryByCpu,
      (value) => value >= 20,
      times,
    ),
    judgeRatio(
      '3',
      `core >= 50% of the undici head-only floor, every page, at c=${GOAL_CONCURRENCY}`,
      pages.map(atGoalConcurrency),
      (c) => c.coreVsFloor,
      (c) => c.coreVsFloorByCpu,
      (value) => value >= 0.5,
      percentOf,
    ),
    judge(
      '3, 13',
      'core reads <= 64 KiB per preview (client socket bytes), every page and concurrency',
      comparisons.map((comparison) => comparison.coreBytesReadPerPreview),
      (value) => value <= MAX_BYTES_READ_PER_PREVIEW,
      (value) => `${(value / 1024).toFixed(1)} KiB`,
    ),
    judge(
      '3, 13',
      `core peak RSS flat: 2 MB <= ${MAX_RSS_GROWTH}x 120 KB, every concurrency`,
      concurrencies.map((concurrency) => rssGrowth.find((g) => g.contender === 'core' && g.concurrency === concurrency)?.growth),
      (value) => value <= MAX_RSS_GROWTH,
      times,
    ),
    coreCells.length === 0 || coreCells.some((cell) => !cell.measurement)
      ? {
          issue: '3',
          goal: 'core returns the expected preview, no errors',
          measured: coreCells.length === 0 ? 'core not run' : 'a core cell failed',
          verdict: 'NOT MEASURED',
        }
      : judge(
          '3',
          'core returns the expected preview, no errors',
          [coreCells.reduce((sum, cell) => sum + (cell.measurement?.errors ?? 0) + (cell.measurement?.wrong ?? 0), 0)],
          (value) => value === 0,
          (value) => `${value} errors or wrong previews`,
        ),
  ];
  if (endToEnd.length > 0) {
    goals.push(
      judge(
        '3',
        'end to end: every GET /preview answered 2xx with the expected preview',
        [endToEnd.reduce((sum, run) => sum + run.non2xx + run.errors + (run.sampleCorrect ? 0 : 1) + (run.failure ? 1 : 0), 0)],
        (value) => value === 0,
        (value) => `${value} non-2xx, errors, wrong samples or failures`,
      ),
    );
  }
  return { comparisons, endToEndComparisons, rssGrowth, goals };
}
