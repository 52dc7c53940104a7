import type { ChildProcess } from 'node:child_process';
import { forkTypeScript, stopChild } from './child-processes.js';
import { diffStats, type FixtureServer } from './fixture-client.js';
import type { CellSpec, FixtureStats, OrchestratorMessage, RunnerMessage, SliceMeasurement } from './protocol.js';

type Reply = Exclude<RunnerMessage, { type: 'mark' } | { type: 'failed' }>;

/** The orchestrator's handle on one contender process (see contender-process.ts). */
export class CellProcess {
  private pending?: { accept: Reply['type']; resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };
  private readonly marks: Partial<Record<'start' | 'end', FixtureStats>> = {};
  private ended?: Error;

  private constructor(
    private readonly child: ChildProcess,
    private readonly fixture: FixtureServer,
    private readonly spec: CellSpec,
  ) {
    child.on('message', (message: RunnerMessage) => this.onMessage(message));
    child.on('exit', (code, signal) => this.end(new Error(`process exited (code ${code}, signal ${signal})`)));
  }

  /** Starts the process and waits until the contender is loaded and warmed up. */
  static async start(spec: CellSpec, fixture: FixtureServer): Promise<{ process: CellProcess; baselineRssBytes: number }> {
    const child = forkTypeScript('./contender-process.ts', [JSON.stringify(spec)], { measured: true, stdout: 'ignore' });
    const cell = new CellProcess(child, fixture, spec);
    const ready = await cell.request(undefined, 'ready', spec.warmupMs + 2 * spec.previewTimeoutMs + 60_000);
    if (ready.type !== 'ready') throw new Error(`unexpected ${ready.type}`);
    return { process: cell, baselineRssBytes: ready.baselineRssBytes };
  }

  /** One measured slice, with what the fixture server saw meanwhile. */
  async measure(durationMs: number): Promise<{ slice: SliceMeasurement; server?: FixtureStats }> {
    // In-flight previews are awaited after the slice, each up to the preview timeout.
    const reply = await this.request({ type: 'measure', durationMs }, 'slice', durationMs + 2 * this.spec.previewTimeoutMs + 10_000);
    if (reply.type !== 'slice') throw new Error(`unexpected ${reply.type}`);
    const { start, end } = this.marks;
    return { slice: reply.slice, ...(start && end ? { server: diffStats(end, start) } : {}) };
  }

  /** Closes the contender and returns the process's peak RSS; the process then exits. */
  async finish(): Promise<number> {
    const reply = await this.request({ type: 'finish' }, 'finished', 30_000);
    if (reply.type !== 'finished') throw new Error(`unexpected ${reply.type}`);
    // Let it exit by itself so that --cpu-prof can write its profile.
    await stopChild(this.child, 'SIGTERM', 15_000);
    return reply.peakRssBytes;
  }

  async kill(): Promise<void> {
    await stopChild(this.child, 'SIGKILL');
  }

  private request(message: OrchestratorMessage | undefined, accept: Reply['type'], timeoutMs: number): Promise<Reply> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`no ${accept} within ${timeoutMs} ms`));
        void this.kill();
      }, timeoutMs);
      this.pending = { accept, resolve, reject, timer };
      if (message) this.child.send(message);
    });
  }

  private onMessage(message: RunnerMessage): void {
    if (message.type === 'mark') {
      void this.fixture.stats().then((stats) => {
        this.marks[message.phase] = stats;
        this.child.send({ type: 'marked' } satisfies OrchestratorMessage);
      });
      return;
    }
    if (message.type === 'failed') return this.end(new Error(message.error));
    const pending = this.pending;
    if (pending?.accept !== message.type) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    pending.resolve(message);
  }

  private end(error: Error): void {
    this.ended ??= error;
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    pending.reject(this.ended);
  }
}
