/**
 * Database faults injected on a schedule while the writers run: the API's server processes
 * terminated (`pg_terminate_backend`, as an administrator or a failover would), or the whole
 * private server crashed and started again. Restarts record when the server was away, so every
 * request made entirely inside that window can be held to "503 at once".
 */
import type { PrivatePostgres } from '@natter/process-harness';
import type { ApiDatabase } from './api-database.js';

export type Fault =
  | { readonly atMs: number; readonly kind: 'terminate-backends' }
  /** `immediate`: pg_ctl stop -m immediate; `kill`: SIGKILL to the postmaster. Then `downMs` away, then start. */
  | { readonly atMs: number; readonly kind: 'restart'; readonly mode: 'immediate' | 'kill'; readonly downMs: number };

/** When the server was certainly down: after the stop completed, before the start began (ms since the load started). */
export interface Outage {
  readonly mode: 'immediate' | 'kill';
  readonly from: number;
  readonly until: number;
  /** When the server accepted connections again (after crash recovery). */
  readonly back: number;
}

export interface FaultReport {
  readonly terminatedBackends: number;
  readonly terminations: number;
  readonly outages: readonly Outage[];
}

/** Runs `faults` in order at their times; a restart needs the private `server`. */
export async function injectFaults(faults: readonly Fault[], targets: { database: ApiDatabase; server?: PrivatePostgres }, started = performance.now()): Promise<FaultReport> {
  const elapsed = (): number => performance.now() - started;
  let terminatedBackends = 0;
  let terminations = 0;
  const outages: Outage[] = [];
  for (const fault of faults) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, fault.atMs - elapsed())));
    if (fault.kind === 'terminate-backends') {
      terminatedBackends += await targets.database.terminateApiBackends();
      terminations += 1;
    } else {
      const server = targets.server;
      if (server === undefined) throw new Error('a restart fault needs a private PostgreSQL server');
      await server.stop(fault.mode);
      const from = elapsed();
      await new Promise((resolve) => setTimeout(resolve, fault.downMs));
      const until = elapsed();
      await server.start();
      outages.push({ mode: fault.mode, from, until, back: elapsed() });
    }
  }
  return { terminatedBackends, terminations, outages };
}
