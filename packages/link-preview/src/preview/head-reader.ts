import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { upstreamFailure } from './errors.js';
import { HeadEndScanner } from './head-end-scanner.js';
import { releaseResponse } from './release-response.js';

/**
 * zlib's default output step (16 KiB): decoding stops at the end of the head, so a smaller step
 * decodes less of what follows it.
 */
const DECODER_OPTIONS = { chunkSize: 16 * 1024, finishFlush: constants.Z_SYNC_FLUSH };

function createDecoder(encoding: string, firstChunk: Buffer): Transform | undefined {
  switch (encoding) {
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip(DECODER_OPTIONS);
    case 'br':
      return createBrotliDecompress({ chunkSize: DECODER_OPTIONS.chunkSize, finishFlush: constants.BROTLI_OPERATION_FLUSH });
    case 'deflate': {
      // "deflate" is specified as zlib-wrapped, but many servers send raw deflate; browsers accept both.
      const header = firstChunk.length >= 2 ? firstChunk.readUInt16BE(0) : 0;
      const zlibWrapped = (header & 0x0f00) === 0x0800 && header % 31 === 0;
      return zlibWrapped ? createInflate(DECODER_OPTIONS) : createInflateRaw(DECODER_OPTIONS);
    }
    default:
      throw upstreamFailure('unsupported content encoding');
  }
}

/**
 * Reads the decoded (decompressed) response until the end of the HTML head and returns the bytes
 * before it — or the whole body when it ends first. Fails once more than `maxBytes` decoded bytes
 * would be needed, so a compression bomb or an endless body stops at the cap. Stops the response
 * as soon as the head is complete.
 */
export function readHead(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase() || 'identity';

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let decodedBytes = 0;
    let rawBytes = 0;
    const scanner = new HeadEndScanner();
    let decoder: Transform | undefined;
    let started = false;
    let settled = false;

    const succeed = (bytes: Buffer): void => {
      if (settled) return;
      settled = true;
      response.removeAllListeners('data');
      releaseResponse(response, rawBytes);
      decoder?.destroy();
      resolve(bytes);
    };
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      response.destroy();
      decoder?.destroy();
      reject(error);
    };

    const onDecoded = (chunk: Buffer): void => {
      if (settled) return;
      const headLength = scanner.push(chunk);
      if (headLength >= 0) {
        if (headLength > maxBytes) return fail(upstreamFailure('upstream response too large'));
        // Copies only the head's bytes, and none when the head ends in the first chunk.
        if (chunks.length === 0) return succeed(chunk.subarray(0, headLength));
        chunks.push(chunk);
        return succeed(Buffer.concat(chunks, headLength));
      }
      decodedBytes += chunk.length;
      if (decodedBytes > maxBytes) return fail(upstreamFailure('upstream response too large'));
      chunks.push(chunk);
    };
    const onBodyEnd = (): void => succeed(Buffer.concat(chunks, decodedBytes));
    const resumeResponse = (): void => {
      if (!settled) response.resume();
    };

    response.on('data', (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (!started) {
        started = true;
        try {
          decoder = createDecoder(encoding, chunk);
        } catch (error) {
          return fail(error as Error);
        }
        if (decoder !== undefined) {
          decoder.on('data', onDecoded);
          decoder.once('end', onBodyEnd);
          decoder.on('error', () => fail(upstreamFailure('invalid compressed response')));
        }
      }
      if (decoder === undefined) return onDecoded(chunk);
      // Back-pressure: the socket is read only once the decoder has consumed the last read, so a
      // bomb's compressed input cannot pile up in the decoder while its output is being counted
      // (and no write is left queued when the head is complete and the decoder is dropped).
      response.pause();
      decoder.write(chunk, resumeResponse);
    });
    response.once('end', () => {
      if (decoder === undefined) onBodyEnd();
      else decoder.end();
    });
    response.on('error', (error) => fail(error));
    response.once('close', () => {
      if (!settled && !response.complete) fail(upstreamFailure('upstream connection closed early'));
    });
  });
}
