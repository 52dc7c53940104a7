import { describe, expect, it } from 'vitest';
import { batched } from '../src/db/batch.js';

describe('batched', () => {
  it('when calls arrive while a batch is in flight, then they go together as the next batch, each getting its own answer', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const double = batched(async (inputs: readonly number[]) => {
      batches.push([...inputs]);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return inputs.map((input) => input * 2);
    });
    const first = double(1);
    const rest = [double(2), double(3), double(4)];
    release();
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('when a batch fails, then every caller in it sees the error and later calls still run', async () => {
    let fail = true;
    const run = batched(async (inputs: readonly string[]) => {
      if (fail) throw new Error('database unavailable');
      return inputs;
    });
    await expect(run('a')).rejects.toThrow('database unavailable');
    fail = false;
    expect(await run('b')).toBe('b');
  });

  it('when more calls queue than a batch may hold, then they are split', async () => {
    const sizes: number[] = [];
    const run = batched(async (inputs: readonly number[]) => {
      sizes.push(inputs.length);
      return inputs;
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((value) => run(value)));
    expect(sizes).toEqual([1, 2, 2]);
  });
});
