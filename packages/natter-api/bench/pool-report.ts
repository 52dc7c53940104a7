/** Turns the pool-size run's measurements into its tables, the knee and the bottleneck findings. */

/** Bearer reads of one message, or posts of new messages (a transaction each). */
export type Workload = 'reads' | 'writes';

/** What the run measured for one workload at one pool size (per API process), over the measured window. */
export interface PoolSizeMeasurement {
  readonly workload: Workload;
  readonly poolSize: number;
  /** Both processes together. */
  readonly requestsPerSecond: number;
  readonly requests: number;
  /** The worse of the two processes' p99 (autocannon keeps one histogram per instance). */
  readonly p99Ms: number;
  readonly failures: number;
  readonly failureDetail: string;
  /** pg_stat_statements calls of the API role / requests. */
  readonly statementsPerRequest: number;
  /** pg_stat_database xact_commit + xact_rollback / requests. */
  readonly transactionsPerRequest: number;
  /** Per API process (its application_name): the most connections seen, and how many were active on average. */
  readonly connections: Readonly<Record<string, { readonly max: number; readonly meanActive: number }>>;
  /**
   * Statement execution seconds per second (pg_stat_statements total_exec_time / window): statements
   * executing at once on average. Excludes an autocommit statement's commit (its WAL flush): see waits.
   */
  readonly executingStatements: number;
  /** CPU cores used on average during the window. */
  readonly cpu: { readonly api: number; readonly postgres: number; readonly loadGenerator: number };
  /** What active backends waited on most, as share of samples, e.g. "IO:WALSync 40 %" ("CPU": no wait). */
  readonly waits: readonly string[];
  readonly topStatements: readonly TopStatement[];
  readonly apiErrors: readonly string[];
}

export interface TopStatement {
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
}

/** Reads through the counting relay. */
export interface RoundTripFigures {
  readonly reads: number;
  readonly roundTripsPerRead: number;
  readonly statementsPerRead: number;
}

/** One API process behind the counting relay: a read alone, and reads under load. */
export interface RoundTripProbe {
  readonly poolSize: number;
  /** Load-generator connections of the loaded pass. */
  readonly connections: number;
  readonly alone: RoundTripFigures;
  readonly underLoad: RoundTripFigures;
}

export interface PoolReportContext {
  readonly loadAverage: readonly [number, number];
  readonly cores: number;
  /** Load-generator connections in all, spread evenly over the two processes. */
  readonly connections: number;
  readonly durationSeconds: number;
  readonly postgres: string;
}

/** Throughput within this share of the best counts as "no faster". */
export const KNEE_SHARE = 0.95;

/** The smallest pool reaching KNEE_SHARE of the workload's best throughput: more connections add nothing. */
export function knee(measurements: readonly PoolSizeMeasurement[], workload: Workload): PoolSizeMeasurement | undefined {
  const runs = measurements.filter((measurement) => measurement.workload === workload).sort((a, b) => a.poolSize - b.poolSize);
  const best = Math.max(...runs.map((measurement) => measurement.requestsPerSecond));
  return runs.find((measurement) => measurement.requestsPerSecond >= KNEE_SHARE * best);
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function table(runs: readonly PoolSizeMeasurement[], names: readonly string[]): string[] {
  const lines = [
    `| pool/process | requests/s | p99 ms | statements/request | transactions/request | connections ${names.join(' / ')} (max; mean active) | executing statements | CPU cores API / PG / load | active backends wait on |`,
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of runs) {
    const connections = names.map((name) => {
      const figures = run.connections[name];
      return figures === undefined ? '–' : `${figures.max}; ${fixed(figures.meanActive)}`;
    });
    lines.push(
      `| ${run.poolSize} | ${fixed(run.requestsPerSecond, 0)} | ${fixed(run.p99Ms, 0)} | ${fixed(run.statementsPerRequest, 2)} | ${fixed(run.transactionsPerRequest, 2)} | ${connections.join(' / ')} | ${fixed(run.executingStatements, 2)} | ${fixed(run.cpu.api, 2)} / ${fixed(run.cpu.postgres, 2)} / ${fixed(run.cpu.loadGenerator, 2)} | ${run.waits.join(', ') || '–'} |`,
    );
  }
  return lines;
}

function kneeLine(found: PoolSizeMeasurement, cores: number): string {
  const used = found.cpu.api + found.cpu.postgres + found.cpu.loadGenerator;
  const held = Math.max(...Object.values(found.connections).map((figures) => figures.max));
  return (
    `Knee (${found.workload}): pool ${found.poolSize} per process reaches ${Math.round(KNEE_SHARE * 100)} % of the best ${found.workload}/s. ` +
    `There the run uses ${fixed((100 * used) / cores, 0)} % of the machine's ${cores} cores (API ${fixed(found.cpu.api, 2)}, PostgreSQL ${fixed(found.cpu.postgres, 2)}, load ${fixed(found.cpu.loadGenerator, 2)}), ` +
    `PostgreSQL executes ${fixed(found.executingStatements, 2)} statements at once on average, and a process holds at most ${held} connections.`
  );
}

export function formatPoolReport(measurements: readonly PoolSizeMeasurement[], probe: RoundTripProbe, context: PoolReportContext): { text: string; valid: boolean } {
  const lines: string[] = [];
  lines.push(`Pool sizes: two API processes, one PostgreSQL (${context.postgres}), one load generator (${context.connections} connections, ${context.connections / 2} per process), Bearer auth, ${context.durationSeconds} s per workload and size`);
  lines.push(`load average (1 min) at start ${fixed(context.loadAverage[0], 2)}, at end ${fixed(context.loadAverage[1], 2)}; ${context.cores} cores`);
  const names = [...new Set(measurements.flatMap((measurement) => Object.keys(measurement.connections)))].sort();
  for (const workload of ['reads', 'writes'] as const) {
    const runs = measurements.filter((measurement) => measurement.workload === workload);
    if (runs.length === 0) continue;
    lines.push('', workload === 'reads' ? 'Reads (GET a message without links):' : 'Writes (POST a message: one transaction, the message and its two capability tokens):', '');
    lines.push(...table(runs, names));
  }
  lines.push('');
  const trips = (figures: RoundTripFigures) => `${fixed(figures.roundTripsPerRead, 2)} round trips and ${fixed(figures.statementsPerRead, 2)} statements per read (${figures.reads} reads)`;
  lines.push(`Through a counting relay (one process, pool ${probe.poolSize}): a read alone ${trips(probe.alone)}; under load (${probe.connections} connections) ${trips(probe.underLoad)}`);
  for (const workload of ['reads', 'writes'] as const) {
    const found = knee(measurements, workload);
    if (found !== undefined) lines.push(kneeLine(found, context.cores));
  }
  for (const workload of ['reads', 'writes'] as const) {
    const largest = measurements.filter((measurement) => measurement.workload === workload).at(-1);
    if (largest === undefined || largest.topStatements.length === 0) continue;
    lines.push('', `Top statements by total execution time, ${workload} at pool ${largest.poolSize} (pg_stat_statements, the API role):`);
    for (const statement of largest.topStatements) {
      lines.push(`  ${fixed(statement.totalMs, 0).padStart(7)} ms ${String(statement.calls).padStart(7)} calls ${fixed(statement.meanMs, 3).padStart(7)} ms each  ${statement.query.replace(/\s+/g, ' ').slice(0, 100)}`);
    }
  }
  const problems = measurements.flatMap((measurement) => [
    ...(measurement.failures > 0 ? [`${measurement.workload} at pool ${measurement.poolSize}: ${measurement.failures} failed requests (${measurement.failureDetail})`] : []),
    ...measurement.apiErrors.map((error) => `${measurement.workload} at pool ${measurement.poolSize}: API error: ${error}`),
  ]);
  if (problems.length > 0) lines.push('', 'INVALID RUN:', ...problems.map((problem) => `  ${problem}`));
  return { text: lines.join('\n'), valid: problems.length === 0 };
}
