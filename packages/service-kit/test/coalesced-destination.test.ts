import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CoalescedDestination, createLogger } from '../src/index.js';

function recording() {
  const writes: string[] = [];
  const destination = new CoalescedDestination({ write: (data: string) => writes.push(data) });
  return { writes, destination, logger: createLogger({ name: 'coalesced', destination }) };
}

const messages = (data: string): unknown[] =>
  data
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as { msg: unknown }).msg);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CoalescedDestination', () => {
  it('when several lines are logged in one turn of the event loop, then they are written once, in order, when the turn ends', async () => {
    const { writes, logger } = recording();
    for (const msg of ['one', 'two', 'three']) logger.info(msg);
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    expect(messages(writes[0]!)).toEqual(['one', 'two', 'three']);
    logger.info('four');
    await nextTurn();
    expect(writes.map(messages)).toEqual([['one', 'two', 'three'], ['four']]);
  });

  it.each(['warn', 'error', 'fatal'] as const)('when a %s line is logged, then it and every line before it are written at once', (level) => {
    const { writes, logger } = recording();
    logger.info('before');
    logger[level]('urgent');
    expect(writes.map(messages)).toEqual([['before', 'urgent']]);
  });

  it('when 64 K characters are pending, then they are written without waiting for the turn to end', () => {
    const { writes, logger } = recording();
    const long = 'x'.repeat(1000);
    for (let line = 0; line < 70; line += 1) logger.info({ long }, `line ${line}`);
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.join('').length).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('when nothing is pending, then flush writes nothing', () => {
    const { writes, destination } = recording();
    destination.flush();
    expect(writes).toEqual([]);
  });
});

describe('coalescedStdout', () => {
  const script = fileURLToPath(new URL('./support/log-then-exit.ts', import.meta.url));

  it.each([
    ['process.exit()', 'exit', 3],
    ['an uncaught exception', 'throw', 1],
    ['the event loop running out of work', 'return', 0],
  ])('when the process ends by %s in the turn that logged, then every pending line reaches standard output in order', (_how, mode, code) => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8', timeout: 20_000 });
    expect(child.status).toBe(code);
    expect(child.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { line: number }).line)).toEqual([0, 1, 2, 3, 4]);
  }, 30_000);
});
