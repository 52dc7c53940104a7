import { describe, expect, it } from 'vitest';
import { FLOOR_SCENARIO, formatReport, type Measurement } from '../bench/report.js';

const context = { database: 'embedded', connections: 16, durationSeconds: 3, rounds: 3, previewDelayMs: 100, logLevel: 'info', loadAverage: [1.5, 2.25] as const };

function run(name: string, auth: Measurement['auth'], requestsPerSecond: number, meanMs: number, extra: Partial<Measurement> = {}): Measurement {
  const requests = Math.round(requestsPerSecond * 3);
  const links = Number(/^(\d+) link/.exec(name)?.[1] ?? 0);
  return {
    name,
    auth,
    figures: { requestsPerSecond, meanMs, p50Ms: meanMs, p99Ms: meanMs * 2, requests, failures: 0, failureDetail: '' },
    previewRequests: name.includes('cold') ? links * requests : 0,
    apiErrors: [],
    ...extra,
  };
}

/** One round of every scenario, scaled by `factor` (rounds differ as a loaded machine makes them). */
function round(factor: number, overrides: Partial<Record<string, Measurement>> = {}, auths: readonly ('Bearer' | 'Basic')[] = ['Bearer', 'Basic']): Measurement[] {
  const measurements = [run(FLOOR_SCENARIO, 'none', 800 * factor, 10)];
  for (const auth of auths) {
    measurements.push(
      run('no links', auth, 700 * factor, 20),
      run('1 link, cold cache', auth, 100 * factor, 120),
      run('1 link, warm cache', auth, 650 * factor, 22),
      run('3 links, cold cache', auth, 90 * factor, 130),
      run('3 links, warm cache', auth, 650 * factor, 24),
    );
  }
  return measurements.map((measurement) => overrides[`${measurement.name}|${measurement.auth}`] ?? measurement);
}

describe('the benchmark report', () => {
  it('when every goal holds, then it prints PASS for each, with ratios to the same-run floor and medians over rounds', () => {
    const report = formatReport([...round(0.5), ...round(1), ...round(3)], context);
    expect(report.valid).toBe(true);
    expect(report.text).toMatch(/^bare floor \(Koa \+ 1 SELECT\)\s+none\s+800\s+1\.00x/m);
    expect(report.text).toMatch(/^no links\s+Bearer\s+700\s+0\.88x/m);
    expect(report.text).toContain('PASS  Bearer: 3 links cold mean latency <= 1.3x 1 link cold: 1.08x');
    expect(report.text).toContain('PASS  Bearer: 3 links, warm cache req/s >= 0.90x no links: 0.93x');
    expect(report.text).toContain('PASS  Bearer: no-link reads req/s >= 0.80x the bare floor: 0.88x');
    expect(report.text).toContain('PASS  Basic: no-link reads req/s >= 0.50x Bearer no-link reads: 1.00x');
    expect(report.text).not.toContain('MISS');
    expect(report.text).toMatch(/load average \(1 min\) 1\.5 at the start, 2\.3 at the end/);
  });

  it('when previews are fetched one after another, then the cold-latency goal is a MISS', () => {
    const sequential = run('3 links, cold cache', 'Bearer', 30, 360);
    const report = formatReport(round(1, { '3 links, cold cache|Bearer': sequential }), context);
    expect(report.text).toContain('MISS  Bearer: 3 links cold mean latency <= 1.3x 1 link cold: 3.00x');
  });

  it('when 3-link reads from a warm cache fall below 0.9x the no-link reads, then that goal is a MISS', () => {
    const report = formatReport(round(1, { '3 links, warm cache|Bearer': run('3 links, warm cache', 'Bearer', 600, 24) }), context);
    expect(report.text).toContain('MISS  Bearer: 3 links, warm cache req/s >= 0.90x no links: 0.86x');
    expect(report.text).toContain('PASS  Basic: 3 links, warm cache req/s >= 0.90x no links: 0.93x');
  });

  it('when Basic reads run scrypt per request, then the Basic goal is a MISS against Bearer of the same run', () => {
    const scryptEachTime = run('no links', 'Basic', 17, 900);
    const report = formatReport(round(1, { 'no links|Basic': scryptEachTime }), context);
    expect(report.text).toContain('MISS  Basic: no-link reads req/s >= 0.50x Bearer no-link reads: 0.02x');
    expect(report.text).toMatch(/PASS {2}Bearer: no-link reads/);
  });

  it('when a warm run still reaches link-preview or a request fails, then the run is invalid', () => {
    const leakyCache = run('3 links, warm cache', 'Bearer', 600, 24, { previewRequests: 12 });
    const failing = run('no links', 'Basic', 3, 900, { apiErrors: ['database unavailable (Connection terminated due to connection timeout)', 'database unavailable (Connection terminated due to connection timeout)'] });
    const report = formatReport(
      round(1, {
        '3 links, warm cache|Bearer': leakyCache,
        'no links|Basic': { ...failing, figures: { ...failing.figures, failures: 4, failureDetail: 'HTTP 503 x4' } },
      }),
      context,
    );
    expect(report.valid).toBe(false);
    expect(report.text).toContain('warm cache still fetched 12 previews');
    expect(report.text).toContain('4 failed requests (HTTP 503 x4)');
    expect(report.text).toContain('- API logged "database unavailable (Connection terminated due to connection timeout)" (x2)');
    expect(report.text).toContain('INVALID: 2 scenario(s) had problems');
    expect(report.text).toMatch(/^3 links, warm cache\s+Bearer\s.*\sNO$/m);
  });

  it('when a cold run fetched fewer previews than its reads need, then the run is invalid', () => {
    const cached = run('1 link, cold cache', 'Bearer', 100, 120, { previewRequests: 10 });
    const report = formatReport(round(1, { '1 link, cold cache|Bearer': cached }), context);
    expect(report.valid).toBe(false);
    expect(report.text).toContain('cold run fetched 10 previews, expected 300');
  });

  it('when Bearer reads reach less than 0.8x the floor, then that goal is a MISS', () => {
    const slow = run('no links', 'Bearer', 632, 25);
    const report = formatReport(round(1, { 'no links|Bearer': slow }), context);
    expect(report.text).toContain('MISS  Bearer: no-link reads req/s >= 0.80x the bare floor: 0.79x');
  });

  it('when a run measured Bearer only (BENCH_AUTH=Bearer), then it reports the Bearer goals and none for Basic', () => {
    const report = formatReport(round(1, {}, ['Bearer']), context);
    expect(report.valid).toBe(true);
    expect(report.text).toContain('PASS  Bearer: no-link reads req/s >= 0.80x the bare floor: 0.88x');
    expect(report.text).not.toMatch(/(PASS|MISS) {2}Basic/);
  });
});
