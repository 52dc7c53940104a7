import type { Analysis } from './analysis.js';
import { bytesReadPerPreview } from './analysis.js';
import type { EndToEndResult } from './end-to-end.js';
import type { CellResult } from './run-block.js';

const MiB = 1024 * 1024;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (value: number | undefined, digits = 1): string => (value === undefined ? '-' : value.toFixed(digits));
const times = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(2)}x`);
const percent = (value: number | undefined): string => (value === undefined ? '-' : `${(value * 100).toFixed(0)}%`);

export function cellTable(cells: readonly CellResult[]): string {
  const rows = cells.map((cell) => {
    const m = cell.measurement;
    if (!m) return [cell.contenderLabel, cell.pageLabel, String(cell.concurrency), `FAILED: ${(cell.failure ?? '').split('\n')[0]}`];
    const flag = m.wrong > 0 ? `WRONG ${m.wrong}` : m.errors > 0 ? `ERR ${m.errors}` : 'ok';
    return [
      cell.contenderLabel,
      cell.pageLabel,
      String(cell.concurrency),
      fixed(m.previewsPerSecond),
      fixed(m.p50Ms),
      fixed(m.p99Ms),
      `${fixed(m.cpuMsPerPreview, 2)} (${fixed(m.systemCpuMsPerPreview, 2)})`,
      fixed(m.peakRssBytes / MiB, 0),
      fixed((m.peakRssBytes - m.baselineRssBytes) / MiB, 0),
      fixed(bytesReadPerPreview(m) / 1024),
      fixed(m.completed === 0 ? undefined : m.connectionsOpened / m.completed, 2),
      fixed(cell.server && cell.server.requests > 0 ? cell.server.bodyBytesFlushed / cell.server.requests / 1024 : undefined),
      fixed(cell.server && cell.server.requests > 0 ? cell.server.cpuMicros / cell.server.requests / 1000 : undefined, 2),
      `${m.completed}/${m.slices}`,
      fixed(m.loadAverage, 1),
      flag,
    ];
  });
  return table(
    ['contender', 'page', 'c', 'previews/s', 'p50 ms', 'p99 ms', 'CPU ms/preview (sys)', 'peak RSS MiB', 'RSS growth MiB', 'KiB read/preview', 'conns/preview', 'srv KiB sent/req', 'srv CPU ms/req', 'n/slices', 'load', 'data'],
    rows,
  );
}

export function problems(cells: readonly CellResult[]): string[] {
  return cells.flatMap((cell) => {
    const where = `${cell.contenderLabel} / ${cell.pageLabel} / c=${cell.concurrency}`;
    const notes: string[] = [];
    if (cell.failure) notes.push(`${where}: failed: ${cell.failure.split('\n').slice(0, 3).join(' | ')}`);
    if (cell.measurement?.firstWrong) notes.push(`${where}: wrong data (${cell.measurement.wrong}x): ${cell.measurement.firstWrong}`);
    if (cell.measurement?.firstError) notes.push(`${where}: errors (${cell.measurement.errors}x): ${cell.measurement.firstError}`);
    if (cell.server && cell.server.gzipWithoutAcceptEncoding > 0) notes.push(`${where}: asked without Accept-Encoding: gzip (served gzip anyway)`);
    return notes;
  });
}

export function comparisonTable(analysis: Analysis): string {
  return table(
    ['page', 'c', 'core/s', 'fastest library', 'library/s', 'core vs library', '(by CPU)', 'floor/s', 'core vs floor', '(by CPU)', 'core KiB read/preview'],
    analysis.comparisons.map((comparison) => [
      comparison.page,
      String(comparison.concurrency),
      fixed(comparison.corePerSecond),
      comparison.fastestLibrary
        ? `${comparison.fastestLibrary.contender}${comparison.fastestLibrary.returnsWrongData ? ' (wrong data)' : ''}`
        : '-',
      fixed(comparison.fastestLibrary?.perSecond),
      times(comparison.coreVsFastestLibrary),
      times(comparison.coreVsFastestLibraryByCpu),
      fixed(comparison.floorPerSecond),
      percent(comparison.coreVsFloor),
      percent(comparison.coreVsFloorByCpu),
      fixed(comparison.coreBytesReadPerPreview === undefined ? undefined : comparison.coreBytesReadPerPreview / 1024),
    ]),
  );
}

export function rssTable(analysis: Analysis): string {
  return table(
    ['contender', 'c', 'peak RSS 120 KB MiB', 'peak RSS 2 MB MiB', '2 MB / 120 KB'],
    analysis.rssGrowth.map((growth) => [
      growth.contender,
      String(growth.concurrency),
      fixed(growth.articlePeakRssBytes / MiB, 0),
      fixed(growth.hugePeakRssBytes / MiB, 0),
      times(growth.growth),
    ]),
  );
}

export function endToEndTable(results: readonly EndToEndResult[], analysis: Analysis): string {
  return table(
    ['page', 'connections', 'requests/s', 'p50 ms', 'p99 ms', 'srv CPU ms/req', 'core/s', 'vs core', '(by CPU)', 'load', 'n/slices', 'non-2xx', 'statuses', 'errors', 'sample'],
    results.map((result) => {
      const versusCore = analysis.endToEndComparisons.find((comparison) => comparison.page === result.page);
      return [
        result.page,
        String(result.connections),
        fixed(result.requestsPerSecond),
        fixed(result.p50Ms),
        fixed(result.p99Ms),
        fixed(result.serviceCpuMsPerRequest, 2),
        fixed(versusCore?.corePerSecond),
        times(versusCore?.endToEndVsCore),
        times(versusCore?.endToEndVsCoreByCpu),
        fixed(result.loadAverage),
        `${result.completed}/${result.slices}`,
        String(result.non2xx),
        Object.entries(result.statusCounts).map(([code, count]) => `${code}:${count}`).join(' '),
        String(result.errors + result.timeouts),
        result.failure ? `FAILED: ${result.failure}`.slice(0, 80) : result.sampleCorrect ? 'ok' : `WRONG ${result.sampleDetail ?? ''}`.slice(0, 80),
      ];
    }),
  );
}

export function goalTable(analysis: Analysis): string {
  return table(
    ['goal', 'issue', 'measured', 'verdict'],
    analysis.goals.map((goal) => [
      goal.goal,
      goal.issue,
      goal.measured,
      goal.verdictByCpu === undefined || goal.verdictByCpu === goal.verdict ? goal.verdict : `${goal.verdict} (by CPU: ${goal.verdictByCpu})`,
    ]),
  );
}
