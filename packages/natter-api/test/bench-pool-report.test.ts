import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatPoolReport, knee, type PoolSizeMeasurement, type RoundTripProbe, type Workload } from '../bench/pool-report.js';
import { startRoundTripProxy } from '../bench/round-trip-proxy.js';

function run(workload: Workload, poolSize: number, requestsPerSecond: number, extra: Partial<PoolSizeMeasurement> = {}): PoolSizeMeasurement {
  return {
    workload,
    poolSize,
    requestsPerSecond,
    requests: requestsPerSecond * 3,
    p99Ms: 100,
    failures: 0,
    failureDetail: '',
    statementsPerRequest: 0.4,
    transactionsPerRequest: 0.3,
    connections: { 'natter-api-a': { max: Math.min(poolSize, 3), meanActive: 0.2 }, 'natter-api-b': { max: Math.min(poolSize, 3), meanActive: 0.3 } },
    executingStatements: 0.05,
    cpu: { api: 0.6, postgres: 0.2, loadGenerator: 0.1 },
    waits: ['IO:WALSync 60 %'],
    topStatements: [{ query: 'SELECT token_id\n  FROM tokens', calls: 10, totalMs: 5, meanMs: 0.5 }],
    apiErrors: [],
    ...extra,
  };
}

const probe: RoundTripProbe = {
  poolSize: 10,
  connections: 32,
  alone: { reads: 200, roundTripsPerRead: 4, statementsPerRead: 4 },
  underLoad: { reads: 3000, roundTripsPerRead: 0.27, statementsPerRead: 0.27 },
};
const context = { loadAverage: [1.25, 2.5] as const, cores: 2, connections: 64, durationSeconds: 3, postgres: 'private PostgreSQL 15' };

describe('the pool-size report', () => {
  it('when throughput stops growing, then the knee is the smallest pool within 95 % of the best, per workload', () => {
    const measurements = [run('reads', 2, 900), run('reads', 4, 1000), run('reads', 8, 960), run('writes', 2, 100), run('writes', 4, 300), run('writes', 8, 400), run('writes', 16, 390)];
    expect(knee(measurements, 'reads')?.poolSize).toBe(4);
    expect(knee(measurements, 'writes')?.poolSize).toBe(8);
    // 0.95 × 1000 = 950: 2 is below it, 8 above but larger than 4.
    expect(knee([run('reads', 8, 950), run('reads', 2, 949), run('reads', 4, 1000)], 'reads')?.poolSize).toBe(4);
  });

  it('when a run is clean, then it prints both tables, the relay figures, the knees and the load average, and is valid', () => {
    const report = formatPoolReport([run('reads', 2, 900), run('reads', 4, 1000), run('writes', 2, 100), run('writes', 4, 300)], probe, context);
    expect(report.valid).toBe(true);
    expect(report.text).toContain('load average (1 min) at start 1.25, at end 2.50; 2 cores');
    expect(report.text).toContain('| 4 | 1000 | 100 | 0.40 | 0.30 | 3; 0.2 / 3; 0.3 | 0.05 | 0.60 / 0.20 / 0.10 | IO:WALSync 60 % |');
    expect(report.text).toContain('a read alone 4.00 round trips and 4.00 statements per read (200 reads); under load (32 connections) 0.27 round trips');
    expect(report.text).toContain('Knee (reads): pool 4 per process');
    expect(report.text).toContain('Knee (writes): pool 4 per process');
    expect(report.text).toContain('SELECT token_id FROM tokens');
  });

  it('when a request failed or the API logged an error, then the run is invalid and says which', () => {
    const report = formatPoolReport([run('writes', 2, 100, { failures: 3, failureDetail: 'HTTP 503 x3', apiErrors: ['natter-api-a: database unavailable'] })], probe, context);
    expect(report.valid).toBe(false);
    expect(report.text).toContain('writes at pool 2: 3 failed requests (HTTP 503 x3)');
    expect(report.text).toContain('writes at pool 2: API error: natter-api-a: database unavailable');
  });
});

describe('the round-trip relay', () => {
  it('when a client sends several chunks before the answer, then that is one round trip; unsolicited server bytes count nothing', async () => {
    // A server that answers each client line with one line, and greets first.
    const server = createServer((socket) => {
      socket.write('hello\n');
      socket.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter((entry) => entry !== '')) if (line.endsWith('?')) socket.write(`${line}!\n`);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = await startRoundTripProxy({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    try {
      const client = connect(proxy.port, '127.0.0.1');
      let received = '';
      client.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      const answered = async (count: number) => {
        while ((received.match(/!/g) ?? []).length < count) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(proxy.roundTrips()).toBe(0);
      client.write('a ');
      client.write('b?\n');
      await answered(1);
      client.write('c?\n');
      await answered(2);
      expect(proxy.roundTrips()).toBe(2);
      proxy.reset();
      expect(proxy.roundTrips()).toBe(0);
      client.destroy();
    } finally {
      await proxy.close();
      server.close();
    }
  });
});
