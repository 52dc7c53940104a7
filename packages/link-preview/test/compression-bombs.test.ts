import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { endlessBomb, serveBomb, stalledReaderCapacity, type BombEncoding, type SentCounter } from './support/endless-bomb.js';
import { previewFailure, startHarness, type Harness } from './support/previewer-harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Compressed bytes the fixture offers at most: 64 MiB, about 64 GiB decoded. */
const OFFERED = 64 * MiB;
/**
 * What a reader that applies back-pressure may pull beyond what the decoder consumed: one socket
 * read (64 KiB), the response's and the decoder's stream buffers (16 KiB each), and what the kernel
 * lets into a receive buffer that grew while those were read.
 */
const ONE_READ_AND_BUFFERS = 256 * KiB;

describe('compression bombs against decoder back-pressure', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it.each<BombEncoding>(['gzip', 'deflate'])(
    'when an endless %s bomb is written as fast as loopback takes it, then 502 and no more is sent than a stalled reader would be sent plus one socket read',
    async (encoding) => {
      const bomb = await endlessBomb(encoding);
      let counter: SentCounter | undefined;
      harness = await startHarness((_request, response) => {
        counter = serveBomb(response, bomb, OFFERED);
      });
      // The kernel's loopback buffers fill whatever the reader does: measure them with a reader that reads nothing.
      const stalled = await stalledReaderCapacity(harness.fixture.origin, () => counter);
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBe(1));

      const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/`);
      expect(error).toMatchObject({ status: 502, reason: 'upstream response too large' });
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBe(2));
      const sent = counter!.sent();
      expect(sent).toBeLessThan(stalled + ONE_READ_AND_BUFFERS);
    },
  );

  it.each<BombEncoding>(['gzip', 'deflate'])(
    'when a %s page needs many socket reads, then reading pauses and resumes until its head is decoded',
    async (encoding) => {
      // Random text barely compresses, so the compressed head is ~20 socket reads, each more than the decoder's buffer.
      const filler = randomBytes(768 * KiB).toString('base64');
      const page = Buffer.from(`<html><head><meta name="filler" content="${filler}"><title>after the filler</title></head><body>`);
      const body = encoding === 'gzip' ? gzipSync(page) : deflateSync(page);
      expect(body.length).toBeGreaterThan(512 * KiB);
      harness = await startHarness(
        (_request, response) => {
          response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding });
          response.end(body);
        },
        { previewer: { maxBytes: 2 * MiB } },
      );
      expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('after the filler');
    },
  );
});
