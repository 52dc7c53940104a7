import pino, { type DestinationStream } from 'pino';

/** pino's numeric `warn` level: lines at this level and above are written at once. */
const WARN_LEVEL = 40;
/** Most characters held back before they are written anyway. */
const MAX_PENDING_CHARS = 64 * 1024;

/** Where a {@link CoalescedDestination} writes: synchronously, the whole string, in order. */
export interface SynchronousSink {
  write(data: string): unknown;
}

/**
 * A pino destination that writes synchronously, but once per turn of the event loop: the lines
 * logged while one batch of I/O events is handled are joined and written with one `write` when the
 * turn ends (`setImmediate`), instead of one system call per line. Lines at `warn` and above, and a
 * backlog of 64 K characters, are written at once with everything before them; whatever is pending
 * is written when the process exits (exit, uncaught exception, `process.exit()`). Lines never change
 * order, and only a process killed outright (SIGKILL) in the middle of a turn loses the lines of
 * that turn.
 */
export class CoalescedDestination implements DestinationStream {
  /** Asks pino to set `lastLevel` before each write. */
  readonly [pino.symbols.needsMetadataGsym] = true;
  lastLevel = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  private scheduled = false;
  private readonly flushAtEndOfTurn = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly sink: SynchronousSink) {}

  write(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.lastLevel >= WARN_LEVEL || this.pendingChars >= MAX_PENDING_CHARS) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAtEndOfTurn);
    }
  }

  /** Writes every pending line now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.sink.write(data);
  }
}

/**
 * Standard output through a {@link CoalescedDestination}: for a service that logs a line per
 * request, one `write(2)` per event-loop turn instead of one per request. The sink is pino's own
 * synchronous standard output (sonic-boom), which retries partial and would-block writes.
 */
export function coalescedStdout(): CoalescedDestination {
  const destination = new CoalescedDestination(pino.destination({ dest: 1, sync: true }));
  process.once('exit', () => destination.flush());
  return destination;
}
