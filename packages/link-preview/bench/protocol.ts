/** Messages and figures exchanged between the orchestrator and its child processes. */

export interface FixtureStats {
  requests: number;
  connections: number;
  /** Response body bytes the fixture server flushed to the kernel (not necessarily read by the client). */
  bodyBytesFlushed: number;
  /** Requests for the gzip page that did not send `Accept-Encoding: gzip`. */
  gzipWithoutAcceptEncoding: number;
  /** CPU time (user + system) the fixture server process has used, in microseconds. */
  cpuMicros: number;
}

/** How one contender process is set up: one contender, one page, one concurrency. */
export interface CellSpec {
  readonly contender: string;
  readonly pageId: string;
  readonly url: string;
  readonly concurrency: number;
  readonly fixturePort: number;
  readonly warmupMs: number;
  /** Upper bound on previews in one slice, so a fast contender does not run unbounded work. */
  readonly maxPreviews: number;
  /** One preview slower than this counts as an error (the bench must always end). */
  readonly previewTimeoutMs: number;
}

/** Counts shared by one slice and by a whole cell. */
export interface PreviewCounts {
  readonly completed: number;
  readonly errors: number;
  /** Previews whose title/description/image differ from expected.json. */
  readonly wrong: number;
  readonly firstError?: string;
  readonly firstWrong?: string;
  /** Wall time measured, in-flight previews at the end included. */
  readonly elapsedMs: number;
  /** Bytes the client process read from its TCP sockets while measuring (headers included). */
  readonly socketBytesRead: number;
  /** TCP connections the client opened while measuring. */
  readonly connectionsOpened: number;
}

/** One measured slice: a closed loop of `concurrency` workers for about `durationMs`. */
export interface SliceMeasurement extends PreviewCounts {
  readonly latenciesMs: number[];
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
  readonly loadAverageAtStart: number;
}

/** What one contender measured for one page at one concurrency, all its slices together. */
export interface CellMeasurement extends PreviewCounts {
  /** Measured slices, interleaved with the other contenders' slices of the same page and concurrency. */
  readonly slices: number;
  readonly previewsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** RSS once the contender is loaded, before any preview. */
  readonly baselineRssBytes: number;
  /** Kernel high-water mark of the process (getrusage maxrss), warm-up included. */
  readonly peakRssBytes: number;
  /**
   * CPU time (user + system) the contender process spent per completed preview. Much less
   * sensitive than wall-clock throughput to other load on the machine.
   */
  readonly cpuMsPerPreview: number;
  /** The kernel's share of cpuMsPerPreview (sockets, connection set-up and teardown). */
  readonly systemCpuMsPerPreview: number;
  /** Mean 1-minute load average at the start of the slices: a busy machine explains noisy figures. */
  readonly loadAverage: number;
}

/** Orchestrator → contender process. */
export type OrchestratorMessage =
  | { type: 'measure'; durationMs: number }
  | { type: 'marked' }
  | { type: 'finish' };

/**
 * Contender process → orchestrator. `mark` frames a measured slice: the orchestrator snapshots the
 * fixture server's counters and answers `{ type: 'marked' }` before the contender goes on.
 */
export type RunnerMessage =
  | { type: 'ready'; baselineRssBytes: number }
  | { type: 'mark'; phase: 'start' | 'end' }
  | { type: 'slice'; slice: SliceMeasurement }
  | { type: 'finished'; peakRssBytes: number }
  | { type: 'failed'; error: string };
