import type { HostLookup } from './preview/index.js';

/** Why the service cannot take previews now, or `undefined` when it can. */
export type ReadinessCheck = () => Promise<string | undefined>;

/** Options for {@link dnsReadiness}. */
export interface DnsReadinessOptions {
  /** The name to resolve. @default - none: ready whenever the process answers */
  readonly host?: string;
  /** The resolver previews use. */
  readonly lookup: HostLookup;
  /** Longest wait for an answer; below the probe's own timeout so the probe gets a clear 503. @default 1000 */
  readonly timeoutMs?: number;
}

/**
 * Readiness for a service whose every preview starts with a DNS lookup: ready while the resolver
 * previews use answers for `host` (the chart passes the service's own in-cluster name, which the
 * cluster DNS always knows). Concurrent probes share one lookup, so a slow resolver cannot make
 * them pile up in the thread pool that decompression also uses. It never decides liveness: `/health`
 * depends on nothing outside the process.
 */
export function dnsReadiness(options: DnsReadinessOptions): ReadinessCheck {
  const { host, lookup } = options;
  const timeoutMs = options.timeoutMs ?? 1000;
  if (host === undefined) return async () => undefined;
  // One lookup at a time, however many probes wait for it, and however long it hangs.
  let inFlight: Promise<string | undefined> | undefined;
  const resolveOnce = (): Promise<string | undefined> =>
    (inFlight ??= lookup(host)
      .then(
        (answers) => (answers.length > 0 ? undefined : 'DNS lookup found no address'),
        () => 'DNS lookup failed',
      )
      .finally(() => {
        inFlight = undefined;
      }));
  return () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve('DNS lookup timed out'), timeoutMs);
      void resolveOnce().then((problem) => {
        clearTimeout(timer);
        resolve(problem);
      });
    });
}
