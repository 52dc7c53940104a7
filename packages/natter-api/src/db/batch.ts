/**
 * Group commit for small, frequent statements: calls made while a batch is in flight are queued
 * and sent together as the next batch. One caller alone waits for exactly one statement, as
 * before; under load, N concurrent requests cost one round trip instead of N — with unchanged
 * semantics (every caller still waits until its own row is written or read).
 */
export function batched<I, O>(run: (inputs: readonly I[]) => Promise<readonly O[]>, maxBatch = 200): (input: I) => Promise<O> {
  let queue: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  let flushing = false;

  const flush = async (): Promise<void> => {
    flushing = true;
    try {
      while (queue.length > 0) {
        // Usually the whole queue fits: take it as it is instead of copying it.
        const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
        queue = batch === queue ? [] : queue.slice(maxBatch);
        const inputs = new Array<I>(batch.length);
        for (let index = 0; index < batch.length; index += 1) inputs[index] = batch[index]!.input;
        try {
          const outputs = await run(inputs);
          for (let index = 0; index < batch.length; index += 1) batch[index]!.resolve(outputs[index] as O);
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      flushing = false;
    }
  };

  return (input) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (!flushing) void flush();
    });
}
