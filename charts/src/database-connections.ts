import type { z } from 'zod';

/**
 * How many PostgreSQL connections each API replica may open (its DATABASE_POOL_MAX), derived from
 * the profile: the connections the database accepts, minus what others need, shared by every API
 * pod that can exist at once (charts/README.md, "Database connections"). settings.ts is also read by
 * scripts/, so this file imports nothing but types.
 */

/**
 * PostgreSQL's `superuser_reserved_connections` (its default, written into both engines' configuration):
 * slots only a superuser may take once the others are full — CloudNativePG's instance manager, an
 * administrator's `psql` during an incident.
 */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;
/**
 * The migration Job's pool (`poolMax: 1` in packages/natter-api/src/migrate.ts; pinned equal by
 * charts/test/database-connections.test.ts). With plain `kubectl apply` it may run beside the API.
 */
export const MIGRATION_CONNECTIONS = 1;
/**
 * Ordinary slots left free for everything that is not the API or the migration: the probes'
 * `pg_isready`, CloudNativePG's instance manager (status, metrics, backups) while ordinary slots are
 * free, an owner's `psql`. (Replication does not count: WAL senders have their own slots since PostgreSQL 12.)
 */
export const ADMIN_HEADROOM_CONNECTIONS = 5;
/**
 * The API Deployment's rollout (RollingUpdate, both limits 25 %, Kubernetes' default, which the chart
 * states): up to ceil(25 %) new pods above the replicas, and up to floor(25 %) old pods still
 * closing their pools while they terminate (the rollout does not wait for them).
 */
export const API_ROLLOUT_PERCENT = { maxSurge: 25, maxUnavailable: 25 } as const;
/**
 * The largest pool worth giving one API process, measured (packages/natter-api/bench/README.md,
 * "Pool sizes"): reads hold at most 2 connections per process (one per batched statement kind in
 * flight), and writes — a transaction each, waiting for its WAL flush — were fastest at 2 per
 * process and slower with every larger pool, the backends queuing on the WAL lock. Reads' 2 plus
 * writes' 2: a bigger pool only moves the queue into PostgreSQL.
 */
export const MEASURED_POOL_MAX = 4;
/** Below this, one slow statement holds up every other request of the pod. */
export const MIN_POOL = 2;

/** What the budget depends on: the settings it reads. */
export interface ConnectionSettings {
  readonly api: { readonly replicas: number; readonly databasePoolMax?: number | undefined };
  readonly database: { readonly maxConnections: number };
}

/** The derived budget, every term named so the README, the tests and the error messages agree. */
export interface ConnectionBudget {
  /** The database's `max_connections`. */
  readonly maxConnections: number;
  /** Superuser slots + the migration + the admin headroom. */
  readonly reserved: number;
  /** What the API pods may hold together: maxConnections - reserved. */
  readonly allowance: number;
  /** API pods that can hold a pool at once: replicas + rollout surge + pods still terminating. */
  readonly peakApiPods: number;
  /** DATABASE_POOL_MAX of each API pod. */
  readonly poolPerPod: number;
  /** Whether poolPerPod is the profile's own `api.databasePoolMax` rather than derived. */
  readonly explicit: boolean;
}

/** API pods during a rollout of `replicas`: the replicas, the surge, and the old pods still shutting down. */
export function peakApiPods(replicas: number): number {
  return replicas + Math.ceil((replicas * API_ROLLOUT_PERCENT.maxSurge) / 100) + Math.floor((replicas * API_ROLLOUT_PERCENT.maxUnavailable) / 100);
}

/**
 * The rule: each API pod gets `api.databasePoolMax` when the profile sets it, else the measured
 * pool, lowered to its fair share when the peak pods would not fit:
 * `poolPerPod = min(MEASURED_POOL_MAX, floor(allowance / peakApiPods))`.
 */
export function connectionBudget(settings: ConnectionSettings): ConnectionBudget {
  const { maxConnections } = settings.database;
  const reserved = SUPERUSER_RESERVED_CONNECTIONS + MIGRATION_CONNECTIONS + ADMIN_HEADROOM_CONNECTIONS;
  const allowance = maxConnections - reserved;
  const peak = peakApiPods(settings.api.replicas);
  const explicit = settings.api.databasePoolMax;
  const poolPerPod = explicit ?? Math.min(MEASURED_POOL_MAX, Math.floor(allowance / peak));
  return { maxConnections, reserved, allowance, peakApiPods: peak, poolPerPod, explicit: explicit !== undefined };
}

/** The budget's problems as settings issues on the field to change (none when it fits). */
export function connectionIssues(settings: ConnectionSettings): z.core.$ZodRawIssue[] {
  const budget = connectionBudget(settings);
  const terms = `database.maxConnections ${budget.maxConnections} - ${budget.reserved} reserved (${SUPERUSER_RESERVED_CONNECTIONS} superuser, ${MIGRATION_CONNECTIONS} migration, ${ADMIN_HEADROOM_CONNECTIONS} headroom) = ${budget.allowance} for the API's ${budget.peakApiPods} pods at a rollout's peak (api.replicas ${settings.api.replicas} + surge + terminating)`;
  if (budget.explicit && budget.poolPerPod * budget.peakApiPods > budget.allowance) {
    const fit = Math.floor(budget.allowance / budget.peakApiPods);
    return [{
      code: 'custom',
      path: ['api', 'databasePoolMax'],
      input: budget.poolPerPod,
      message: `${budget.peakApiPods} pods × ${budget.poolPerPod} connections exceed what the database allows: ${terms}; lower it to ${fit} or less, or raise database.maxConnections to ${budget.poolPerPod * budget.peakApiPods + budget.reserved}`,
    }];
  }
  if (!budget.explicit && budget.poolPerPod < MIN_POOL) {
    return [{
      code: 'custom',
      path: ['api', 'replicas'],
      input: settings.api.replicas,
      message: `leaves each pod fewer than ${MIN_POOL} database connections: ${terms}; raise database.maxConnections to ${MIN_POOL * budget.peakApiPods + budget.reserved} or lower the replicas (or put a connection pooler in front of PostgreSQL)`,
    }];
  }
  return [];
}

/** The PostgreSQL parameters the budget rests on, as both engines write them (values are strings there). */
export function connectionParameters(settings: ConnectionSettings): Record<string, string> {
  return {
    max_connections: String(settings.database.maxConnections),
    superuser_reserved_connections: String(SUPERUSER_RESERVED_CONNECTIONS),
  };
}
