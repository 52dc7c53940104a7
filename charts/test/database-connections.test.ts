/**
 * The API's database pools fit into what the database accepts: per profile, read from the rendered
 * YAML (the API Deployment's replicas, rollout limits and DATABASE_POOL_MAX; the database's
 * max_connections and superuser_reserved_connections), and against a real PostgreSQL started with
 * the parameters the chart writes, filled by the API's own pool module configured from the chart's env.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findObject, type Manifest } from '@natter/kube-check';
import { privatePostgresSupport, startPrivatePostgres, type PrivatePostgres } from '@natter/process-harness';
import type { Database } from '../../packages/natter-api/src/db/database.js';
import { createPostgresDatabase } from '../../packages/natter-api/src/db/postgres.js';
import { MIGRATION_POOL_MAX } from '../../packages/natter-api/src/migrate.js';
import { createLogger } from '../../packages/service-kit/src/logger.js';
import { ADMIN_HEADROOM_CONNECTIONS, MEASURED_POOL_MAX, MIGRATION_CONNECTIONS, MIN_POOL, SUPERUSER_RESERVED_CONNECTIONS } from '../src/database-connections.js';
import { type NatterProfile, SettingsError } from '../src/profiles.js';
import { synthesizeProfile } from '../src/synth.js';
import { env, manifestsOf, PROFILES, templateNamed } from './natter-cluster.js';

interface Rendered {
  readonly replicas: number;
  readonly maxSurge: string;
  readonly maxUnavailable: string;
  readonly poolMax: number;
  readonly parameters: Readonly<Record<string, string>>;
}

/** What the cluster gets, read from the objects as kubectl would apply them. */
function rendered(objects: readonly Manifest[]): Rendered {
  const deployment = findObject(objects, 'Deployment', 'natter-api') as Manifest & { spec: { replicas: number; strategy: { type: string; rollingUpdate: { maxSurge: string; maxUnavailable: string } } } };
  expect(deployment.spec.strategy.type).toBe('RollingUpdate');
  const poolMax = env(templateNamed(objects, 'natter-api'), 'DATABASE_POOL_MAX');
  expect(poolMax).toMatch(/^\d+$/);
  const cluster = objects.find((object) => object.kind === 'Cluster') as (Manifest & { spec: { postgresql: { parameters: Record<string, string> } } }) | undefined;
  let parameters: Record<string, string>;
  if (cluster !== undefined) {
    parameters = cluster.spec.postgresql.parameters;
  } else {
    const args = templateNamed(objects, 'natter-database').spec.containers[0]!.args ?? [];
    // `-c name=value` pairs, as the image's entrypoint hands them to postgres.
    expect(args.filter((_arg, index) => index % 2 === 0).every((flag) => flag === '-c')).toBe(true);
    parameters = Object.fromEntries(args.filter((_arg, index) => index % 2 === 1).map((pair) => pair.split('=') as [string, string]));
  }
  return { replicas: deployment.spec.replicas, ...deployment.spec.strategy.rollingUpdate, poolMax: Number(poolMax), parameters };
}

/** Kubernetes' rounding: surge rounds up, unavailable down. */
function percentOf(replicas: number, percent: string, round: (value: number) => number): number {
  expect(percent).toMatch(/^\d+%$/);
  return round((replicas * Number(percent.slice(0, -1))) / 100);
}

/** API pods holding a pool at a rollout's peak: the replicas, the surge, and the replaced pods still shutting down. */
function peakPods(figures: Rendered): number {
  return figures.replicas + percentOf(figures.replicas, figures.maxSurge, Math.ceil) + percentOf(figures.replicas, figures.maxUnavailable, Math.floor);
}

const RESERVED = SUPERUSER_RESERVED_CONNECTIONS + MIGRATION_POOL_MAX + ADMIN_HEADROOM_CONNECTIONS;

describe.each(PROFILES.map((profile) => [profile.name, profile] as const))('database connections (%s)', (_, profile) => {
  const figures = rendered(manifestsOf(profile));
  const maxConnections = Number(figures.parameters['max_connections']);

  it('writes max_connections from database.maxConnections and the superuser reserve the budget counts on', () => {
    expect(maxConnections).toBe(profile.database.maxConnections);
    expect(Number(figures.parameters['superuser_reserved_connections'])).toBe(SUPERUSER_RESERVED_CONNECTIONS);
  });

  it('fits every API pool at a rollout\'s peak, the migration and the headroom into max_connections', () => {
    expect(peakPods(figures)).toBeGreaterThanOrEqual(figures.replicas);
    expect(figures.replicas * figures.poolMax + RESERVED).toBeLessThanOrEqual(maxConnections);
    expect(peakPods(figures) * figures.poolMax + RESERVED).toBeLessThanOrEqual(maxConnections);
  });

  it('names each pod\'s connections after the pod, so pg_stat_activity shows who holds them', () => {
    const variable = templateNamed(manifestsOf(profile), 'natter-api').spec.containers[0]!.env?.find((entry) => entry.name === 'DATABASE_APPLICATION_NAME');
    expect(variable).toEqual({ name: 'DATABASE_APPLICATION_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });

  it('gives each pod the measured pool (or its setting), never fewer than the minimum', () => {
    expect(figures.poolMax).toBe(profile.api.databasePoolMax ?? Math.min(MEASURED_POOL_MAX, Math.floor((maxConnections - RESERVED) / peakPods(figures))));
    expect(figures.poolMax).toBeGreaterThanOrEqual(MIN_POOL);
  });
});

describe('the connection rule', () => {
  const base = PROFILES.at(-1)!;
  const withSettings = (api: Partial<NatterProfile['api']>, maxConnections = base.database.maxConnections): NatterProfile => ({
    ...base,
    name: 'staging',
    api: { ...base.api, ...api },
    database: { ...base.database, maxConnections },
  });
  const synthesisError = (profile: NatterProfile): string => {
    try {
      synthesizeProfile(profile);
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      return (error as Error).message;
    }
    throw new Error('expected synthesis to fail');
  };

  it('reserves for the migration exactly the pool the migration command opens', () => {
    expect(MIGRATION_CONNECTIONS).toBe(MIGRATION_POOL_MAX);
  });

  it('lowers the pool to each pod\'s share when the replicas would not fit with the measured one', () => {
    // 10 replicas: 15 pods at the peak share 40 - 9 = 31 connections: 2 each.
    const figures = rendered(manifestsOf(withSettings({ replicas: 10 }, 40)));
    expect(peakPods(figures)).toBe(15);
    expect(figures.poolMax).toBe(2);
  });

  it.each([[1, 4], [15, 4], [16, 3], [21, 2], [30, 2]])('with maxConnections 100 and %i replicas gives each pod %i (the README\'s table)', (replicas, pool) => {
    // Rates high enough that every replica keeps a share of at least 1 (the rate-limit rule).
    const rateLimit = { ...base.api.rateLimit, perAddress: { perSecond: 100 }, perUser: { perSecond: 100 } };
    expect(rendered(manifestsOf(withSettings({ replicas, rateLimit }, 100))).poolMax).toBe(pool);
  });

  it('takes api.databasePoolMax when it fits', () => {
    expect(rendered(manifestsOf(withSettings({ replicas: 6, databasePoolMax: 20 }, 200))).poolMax).toBe(20);
  });

  it('fails at synthesis when api.databasePoolMax × the pods at a rollout\'s peak exceeds what the database allows', () => {
    expect(synthesisError(withSettings({ replicas: 2, databasePoolMax: 40 })).split('\n')).toEqual([
      'profile staging: invalid setting',
      '  api.databasePoolMax: 3 pods × 40 connections exceed what the database allows: database.maxConnections 100 - 9 reserved (3 superuser, 1 migration, 5 headroom) = 91 for the API\'s 3 pods at a rollout\'s peak (api.replicas 2 + surge + terminating); lower it to 30 or less, or raise database.maxConnections to 129, got 40',
    ]);
  });

  it('fails at synthesis when the replicas leave each pod fewer than the minimum pool', () => {
    // 4 replicas: 6 pods at the peak, 20 - 9 = 11 connections: 1 each.
    expect(synthesisError(withSettings({ replicas: 4 }, 20)).split('\n')).toEqual([
      'profile staging: invalid setting',
      '  api.replicas: leaves each pod fewer than 2 database connections: database.maxConnections 20 - 9 reserved (3 superuser, 1 migration, 5 headroom) = 11 for the API\'s 6 pods at a rollout\'s peak (api.replicas 4 + surge + terminating); raise database.maxConnections to 21 or lower the replicas (or put a connection pooler in front of PostgreSQL), got 4',
    ]);
  });
});

const support = await privatePostgresSupport();
const statefulset = PROFILES.find((profile) => profile.database.engine === 'statefulset');

describe.skipIf(!support.available || statefulset === undefined)('the budget on a real PostgreSQL with the chart\'s parameters', { timeout: 60_000 }, () => {
  // The smallest database the settings allow, so the limits are reached with few connections.
  const profile: NatterProfile = { ...statefulset!, api: { ...statefulset!.api, replicas: 1 }, database: { ...statefulset!.database, maxConnections: 20 } };
  const figures = rendered(manifestsOf(profile));
  const logger = createLogger({ name: 'pool-budget', level: 'silent' });
  const password = 'pool-budget-test';
  let server: PrivatePostgres;
  const pools: Database[] = [];
  const releases: (() => void)[] = [];

  beforeAll(async () => {
    server = await startPrivatePostgres({ settings: figures.parameters });
    const admin = createPostgresDatabase({ ...server.superuser, poolMax: 1, logger });
    await admin.exec(`CREATE ROLE natter_api_user LOGIN PASSWORD '${password}'`);
    await admin.close();
  });
  afterAll(async () => {
    for (const release of releases) release();
    await Promise.allSettled(pools.map((pool) => pool.close()));
    await server?.close();
  });

  /** Opens a pool of `size` as the API role and holds every connection of it inside a transaction. */
  async function hold(size: number): Promise<void> {
    const pool = createPostgresDatabase({ ...server.superuser, user: 'natter_api_user', password, poolMax: size, logger });
    pools.push(pool);
    const opened: Promise<void>[] = [];
    for (let index = 0; index < size; index += 1) {
      opened.push(new Promise<void>((ready, failed) => {
        pool.transaction(async (tx) => {
          await tx.query('SELECT 1');
          ready();
          await new Promise<void>((release) => releases.push(release));
        }).catch(failed);
      }));
    }
    await Promise.all(opened);
  }

  it('admits every pool at the peak, the migration and the headroom as an ordinary role, and still admits the superuser when ordinary slots run out', async () => {
    expect(figures.parameters).toEqual({ max_connections: '20', superuser_reserved_connections: String(SUPERUSER_RESERVED_CONNECTIONS) });
    for (let pod = 0; pod < peakPods(figures); pod += 1) await hold(figures.poolMax);
    await hold(MIGRATION_POOL_MAX);
    await hold(ADMIN_HEADROOM_CONNECTIONS);
    // What the rule leaves over (its rounding) is still ordinary; after that only the superuser gets in.
    const spare = 20 - SUPERUSER_RESERVED_CONNECTIONS - (peakPods(figures) * figures.poolMax + MIGRATION_POOL_MAX + ADMIN_HEADROOM_CONNECTIONS);
    expect(spare).toBeGreaterThanOrEqual(0);
    if (spare > 0) await hold(spare);
    // The API answers 503 then (too_many_connections, 53300).
    const refused = await hold(1).then(() => undefined, (error: unknown) => error as Error & { cause?: { code?: string; message?: string } });
    expect(refused?.cause).toMatchObject({ code: '53300', message: expect.stringMatching(/remaining connection slots are reserved/) });
    const superuser = createPostgresDatabase({ ...server.superuser, poolMax: 1, logger });
    pools.push(superuser);
    const [row] = await superuser.query<{ clients: number }>("SELECT count(*)::int AS clients FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = 'natter_api_user'");
    expect(row!.clients).toBe(20 - SUPERUSER_RESERVED_CONNECTIONS);
  });
});
