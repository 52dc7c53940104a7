/** Messages and figures exchanged between the orchestrator and its child processes. */

export interface FixtureStats {
  requests: number;
  connections: number;
  /** Response body bytes the fixture server flushed to the kernel (not necessarily read by the client). */
  bodyBytesFlushed: number;
  /** Requests for the gzip page that did not send `Accept-Encoding: gzip`. */
  gzipWithoutAcceptEncoding: number;
}

export interface CellSpec {
  readonly contender: string;
  readonly pageId: string;
  readonly url: string;
  readonly concurrency: number;
  readonly fixturePort: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Upper bound on measured previews, so a fast contender does not run unbounded work. */
  readonly maxPreviews: number;
  /** One preview slower than this counts as an error (the bench must always end). */
  readonly previewTimeoutMs: number;
}

/** What one contender process measured for one page at one concurrency. */
export interface CellMeasurement {
  readonly completed: number;
  readonly errors: number;
  /** Previews whose title/description/image differ from expected.json. */
  readonly wrong: number;
  readonly firstError?: string;
  readonly firstWrong?: string;
  readonly elapsedMs: number;
  readonly previewsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** RSS once the contender is loaded, before any preview. */
  readonly baselineRssBytes: number;
  /** Kernel high-water mark of the process (getrusage maxrss), warm-up included. */
  readonly peakRssBytes: number;
  /** Bytes the client process read from its TCP sockets during the measured window (headers included). */
  readonly socketBytesRead: number;
  /** TCP connections the client opened during the measured window. */
  readonly connectionsOpened: number;
  /**
   * CPU time (user + system) the contender process spent in the window per completed preview.
   * Much less sensitive than wall-clock throughput to other load on the machine.
   */
  readonly cpuMsPerPreview: number;
  /** 1-minute load average when the window started: a busy machine explains noisy figures. */
  readonly loadAverageAtStart: number;
}

/**
 * Contender process → orchestrator. `mark` frames the measured window: the orchestrator snapshots
 * the fixture server's counters and answers `{ type: 'marked' }` before the contender goes on.
 */
export type RunnerMessage =
  | { type: 'mark'; phase: 'start' | 'end' }
  | { type: 'result'; measurement: CellMeasurement }
  | { type: 'failed'; error: string };

export type OrchestratorMessage = { type: 'marked' };
