/** Turns the benchmark's measurements into a table of same-run ratios and a verdict per goal. */
import { cpus } from 'node:os';
import type { LoadFigures } from './load.js';

export interface Measurement {
  readonly name: string;
  readonly auth: 'none' | 'Bearer' | 'Basic';
  readonly figures: LoadFigures;
  /** Requests the link-preview stub received during the run. */
  readonly previewRequests: number;
  /** Error-level lines the API logged during the run (and while it drained afterwards). */
  readonly apiErrors: readonly string[];
}

export const FLOOR_SCENARIO = 'bare floor (Koa + 1 SELECT)';

export interface ReportContext {
  readonly database: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly previewDelayMs: number;
  readonly logLevel: string;
  /** 1-minute load average when the run started and ended: how busy the machine was besides us. */
  readonly loadAverage: readonly [number, number];
}

export interface Report {
  readonly text: string;
  /** False when a run had failures or a cache did not behave as its scenario requires. */
  readonly valid: boolean;
}

interface Goal {
  readonly description: string;
  readonly value: number;
  readonly passes: boolean;
}

const ratio = (value: number) => `${value.toFixed(2)}x`;

/** One scenario over all rounds: the median of each figure, the sums of the counts. */
interface Summary extends Measurement {
  readonly runs: number;
  readonly problems: readonly string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarise(measurements: readonly Measurement[]): Summary[] {
  const groups = new Map<string, Measurement[]>();
  for (const measurement of measurements) {
    const key = `${measurement.name}\u0000${measurement.auth}`;
    groups.set(key, [...(groups.get(key) ?? []), measurement]);
  }
  return [...groups.values()].map((runs) => {
    const pick = (field: Exclude<keyof LoadFigures, 'failureDetail'>) => runs.map((run) => run.figures[field]);
    const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
    return {
      name: runs[0]!.name,
      auth: runs[0]!.auth,
      runs: runs.length,
      figures: {
        requestsPerSecond: median(pick('requestsPerSecond')),
        meanMs: median(pick('meanMs')),
        p50Ms: median(pick('p50Ms')),
        p99Ms: median(pick('p99Ms')),
        requests: sum(pick('requests')),
        failures: sum(pick('failures')),
        failureDetail: runs.map((run) => run.figures.failureDetail).filter((detail) => detail !== '').join('; '),
      },
      previewRequests: sum(runs.map((run) => run.previewRequests)),
      apiErrors: runs.flatMap((run) => run.apiErrors),
      problems: tally(runs.flatMap(problems)),
    };
  });
}

function find(summaries: readonly Summary[], name: string, auth: Measurement['auth']): Summary {
  const found = summaries.find((summary) => summary.name === name && summary.auth === auth);
  if (found === undefined) throw new Error(`no measurement "${name}" (${auth})`);
  return found;
}

/** Links a scenario's message carries, from its name ("3 links, cold cache" → 3). */
function linkCount(name: string): number {
  return Number(/^(\d+) link/.exec(name)?.[1] ?? 0);
}

/** Identical lines once, with how often they occurred. */
function tally(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, count]) => (count > 1 ? `${line} (x${count})` : line));
}

/** Why a run's figures cannot be trusted, if they cannot. */
function problems(measurement: Measurement): string[] {
  const found: string[] = [];
  if (measurement.figures.failures > 0) found.push(`${measurement.figures.failures} failed requests (${measurement.figures.failureDetail})`);
  for (const error of measurement.apiErrors) found.push(`API logged "${error}"`);
  if (measurement.name.includes('warm') && measurement.previewRequests > 0) {
    found.push(`warm cache still fetched ${measurement.previewRequests} previews`);
  }
  const expected = linkCount(measurement.name) * measurement.figures.requests;
  if (measurement.name.includes('cold') && measurement.previewRequests < expected) {
    found.push(`cold run fetched ${measurement.previewRequests} previews, expected ${expected}`);
  }
  return found;
}

function goals(measurements: readonly Summary[]): Goal[] {
  const floor = find(measurements, FLOOR_SCENARIO, 'none');
  const result: Goal[] = [];
  // A run may leave out an authentication (BENCH_AUTH): its goals are then not reported.
  const measured = (auth: Measurement['auth']) => measurements.some((measurement) => measurement.auth === auth);
  for (const auth of (['Bearer', 'Basic'] as const).filter(measured)) {
    const none = find(measurements, 'no links', auth);
    const oneCold = find(measurements, '1 link, cold cache', auth);
    const threeCold = find(measurements, '3 links, cold cache', auth);
    const coldRatio = threeCold.figures.meanMs / oneCold.figures.meanMs;
    result.push({ description: `${auth}: 3 links cold mean latency <= 1.3x 1 link cold`, value: coldRatio, passes: coldRatio <= 1.3 });
    // Issue 13 raised the 3-link goal to 0.9x; the 1-link one stays at 0.8x.
    for (const [name, minimum] of [['1 link, warm cache', 0.8], ['3 links, warm cache', 0.9]] as const) {
      const warmRatio = find(measurements, name, auth).figures.requestsPerSecond / none.figures.requestsPerSecond;
      result.push({ description: `${auth}: ${name} req/s >= ${minimum.toFixed(2)}x no links`, value: warmRatio, passes: warmRatio >= minimum });
    }
  }
  if (measured('Bearer')) {
    const bearerRatio = find(measurements, 'no links', 'Bearer').figures.requestsPerSecond / floor.figures.requestsPerSecond;
    result.push({ description: 'Bearer: no-link reads req/s >= 0.80x the bare floor', value: bearerRatio, passes: bearerRatio >= 0.8 });
  }
  if (measured('Bearer') && measured('Basic')) {
    // The Basic credential cache: a known user's repeated Basic reads skip scrypt.
    const basicRatio = find(measurements, 'no links', 'Basic').figures.requestsPerSecond / find(measurements, 'no links', 'Bearer').figures.requestsPerSecond;
    result.push({ description: 'Basic: no-link reads req/s >= 0.50x Bearer no-link reads', value: basicRatio, passes: basicRatio >= 0.5 });
  }
  return result;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row, index) => {
      const line = row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
      return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
    })
    .join('\n');
}

export function formatReport(runs: readonly Measurement[], context: ReportContext): Report {
  const measurements = summarise(runs);
  const floor = find(measurements, FLOOR_SCENARIO, 'none');
  const rows = [
    ['scenario', 'auth', 'req/s', 'x floor', 'mean ms', 'p50 ms', 'p99 ms', 'requests', 'previews fetched', 'valid'],
    ...measurements.map((measurement) => {
      const { figures } = measurement;
      return [
        measurement.name,
        measurement.auth,
        figures.requestsPerSecond.toFixed(0),
        ratio(figures.requestsPerSecond / floor.figures.requestsPerSecond),
        figures.meanMs.toFixed(1),
        String(figures.p50Ms),
        String(figures.p99Ms),
        String(figures.requests),
        String(measurement.previewRequests),
        measurement.problems.length === 0 ? 'yes' : 'NO',
      ];
    }),
  ];
  const verdicts = goals(measurements).map((goal) => `${goal.passes ? 'PASS' : 'MISS'}  ${goal.description}: ${ratio(goal.value)}`);
  const invalid = measurements.filter((measurement) => measurement.problems.length > 0);
  const text = [
    `Natter API benchmark — database: ${context.database}, ${context.connections} connections, ` +
      `${context.rounds} interleaved rounds (medians shown), ${context.durationSeconds} s per steady run, link-preview stub delay ${context.previewDelayMs} ms, LOG_LEVEL=${context.logLevel}`,
    `machine load average (1 min) ${context.loadAverage[0].toFixed(1)} at the start, ${context.loadAverage[1].toFixed(1)} at the end, on ${cpus().length} CPUs`,
    '',
    table(rows),
    '',
    ...verdicts,
    '',
    'Basic runs scrypt (N=32768, r=8, p=1) once per user and BASIC_AUTH_CACHE_TTL_SECONDS, then answers from the credential cache; a wrong password always runs it.',
    invalid.length === 0
      ? 'All runs valid.'
      : [
          `INVALID: ${invalid.length} scenario(s) had problems — their figures are not trustworthy:`,
          ...invalid.flatMap((measurement) => [`  ${measurement.name} (${measurement.auth}):`, ...measurement.problems.map((problem) => `    - ${problem}`)]),
        ].join('\n'),
  ].join('\n');
  return { text, valid: invalid.length === 0 };
}
