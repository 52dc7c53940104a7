import type { CellMeasurement } from './protocol.js';
import type { CellResult } from './run-block.js';
import type { BenchPage } from './pages.js';
import type { EndToEndResult } from './end-to-end.js';

/** Throughput goals are judged at this concurrency, the one the reference figures use. */
export const GOAL_CONCURRENCY = 32;
export const MAX_BYTES_READ_PER_PREVIEW = 64 * 1024;
/** "RSS flat as page size grows", made checkable: peak RSS on 2 MB at most this multiple of 120 KB. */
export const MAX_RSS_GROWTH = 1.2;

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

export interface Analysis {
  readonly comparisons: PageComparison[];
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
function judge(goal: string, values: readonly (number | undefined)[], meets: (value: number) => boolean, show: (value: number) => string): GoalVerdict {
  const present = values.filter((value): value is number => value !== undefined);
  if (present.length === 0 || present.length < values.length) {
    return { goal, measured: present.map(show).join(', ') || 'no figures', verdict: 'NOT MEASURED' };
  }
  return { goal, measured: present.map(show).join(', '), verdict: present.every(meets) ? 'PASS' : 'MISS' };
}

/** A throughput-ratio goal, judged on previews/s and cross-checked on CPU time per preview. */
function judgeRatio(
  goal: string,
  comparisons: readonly (PageComparison | undefined)[],
  throughput: (comparison: PageComparison) => number | undefined,
  byCpu: (comparison: PageComparison) => number | undefined,
  meets: (value: number) => boolean,
  show: (value: number) => string,
): GoalVerdict {
  const onThroughput = judge(goal, comparisons.map((c) => (c ? throughput(c) : undefined)), meets, show);
  const onCpu = judge(goal, comparisons.map((c) => (c ? byCpu(c) : undefined)), meets, show);
  return { ...onThroughput, measured: `${onThroughput.measured} (by CPU ${onCpu.measured})`, verdictByCpu: onCpu.verdict };
}

export function analyse(cells: readonly CellResult[], concurrencies: readonly number[], endToEnd: readonly EndToEndResult[]): Analysis {
  const pages: BenchPage['id'][] = ['article', 'article-gzip', 'huge'];
  const comparisons = concurrencies.flatMap((concurrency) => pages.map((page) => compare(cells, page, concurrency)));
  const contenders = [...new Set(cells.map((cell) => cell.contender))];
  const rssGrowth = concurrencies.flatMap((concurrency) =>
    contenders.map((contender) => rssGrowthOf(cells, contender, concurrency)).filter((growth) => growth !== undefined),
  );
  const atGoalConcurrency = (page: BenchPage['id']): PageComparison | undefined =>
    comparisons.find((comparison) => comparison.page === page && comparison.concurrency === GOAL_CONCURRENCY);
  const coreCells = cells.filter((cell) => cell.contender === 'core');

  const goals: GoalVerdict[] = [
    judgeRatio(
      `core >= 2x the fastest library on 120 KB (plain, gzip) at c=${GOAL_CONCURRENCY}`,
      [atGoalConcurrency('article'), atGoalConcurrency('article-gzip')],
      (c) => c.coreVsFastestLibrary,
      (c) => c.coreVsFastestLibraryByCpu,
      (value) => value >= 2,
      times,
    ),
    judgeRatio(
      `core >= 20x the fastest library on 2 MB at c=${GOAL_CONCURRENCY}`,
      [atGoalConcurrency('huge')],
      (c) => c.coreVsFastestLibrary,
      (c) => c.coreVsFastestLibraryByCpu,
      (value) => value >= 20,
      times,
    ),
    judgeRatio(
      `core >= 50% of the undici head-only floor, every page, at c=${GOAL_CONCURRENCY}`,
      pages.map((page) => atGoalConcurrency(page)),
      (c) => c.coreVsFloor,
      (c) => c.coreVsFloorByCpu,
      (value) => value >= 0.5,
      (value) => `${(value * 100).toFixed(0)}%`,
    ),
    judge(
      'core reads <= 64 KiB per preview (client socket bytes), every page and concurrency',
      comparisons.map((comparison) => comparison.coreBytesReadPerPreview),
      (value) => value <= MAX_BYTES_READ_PER_PREVIEW,
      (value) => `${(value / 1024).toFixed(1)} KiB`,
    ),
    judge(
      `core peak RSS flat: 2 MB <= ${MAX_RSS_GROWTH}x 120 KB, every concurrency`,
      concurrencies.map((concurrency) => rssGrowth.find((g) => g.contender === 'core' && g.concurrency === concurrency)?.growth),
      (value) => value <= MAX_RSS_GROWTH,
      times,
    ),
    coreCells.length === 0 || coreCells.some((cell) => !cell.measurement)
      ? { goal: 'core returns the expected preview, no errors', measured: coreCells.length === 0 ? 'core not run' : 'a core cell failed', verdict: 'NOT MEASURED' }
      : judge(
          'core returns the expected preview, no errors',
          [coreCells.reduce((sum, cell) => sum + (cell.measurement?.errors ?? 0) + (cell.measurement?.wrong ?? 0), 0)],
          (value) => value === 0,
          (value) => `${value} errors or wrong previews`,
        ),
  ];
  if (endToEnd.length > 0) {
    goals.push(
      judge(
        'end to end: every GET /preview answered 2xx with the expected preview',
        [endToEnd.reduce((sum, run) => sum + run.non2xx + run.errors + (run.sampleCorrect ? 0 : 1), 0)],
        (value) => value === 0,
        (value) => `${value} non-2xx, errors or wrong samples`,
      ),
    );
  }
  return { comparisons, rssGrowth, goals };
}
