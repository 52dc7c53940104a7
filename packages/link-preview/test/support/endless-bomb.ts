import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { constants, createDeflate, createGzip, type Deflate, type Gzip } from 'node:zlib';

export type BombEncoding = 'gzip' | 'deflate';

/** A compressed stream that never ends: `prefix`, then `unit` repeated; each unit decodes to 1 MiB of spaces. */
export interface EndlessBomb {
  readonly encoding: BombEncoding;
  readonly prefix: Buffer;
  readonly unit: Buffer;
}

const UNIT_DECODED_BYTES = 1024 * 1024;

/**
 * Builds the bomb by compressing the same 1 MiB twice with a sync flush after each: once the
 * window holds nothing but spaces, every further 1 MiB compresses to the same ~1 KiB, so a
 * multi-megabyte stream (gigabytes decoded) costs no compression time to serve.
 */
export async function endlessBomb(encoding: BombEncoding): Promise<EndlessBomb> {
  const compressor: Gzip | Deflate = encoding === 'gzip' ? createGzip({ level: 9 }) : createDeflate({ level: 9 });
  const output: Buffer[] = [];
  compressor.on('data', (chunk: Buffer) => output.push(chunk));
  const flushed = async (input: string | Buffer): Promise<Buffer> => {
    compressor.write(input);
    await new Promise<void>((resolve) => compressor.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    return Buffer.concat(output.splice(0));
  };
  const head = await flushed('<!doctype html><html><head><title>bomb');
  const first = await flushed(Buffer.alloc(UNIT_DECODED_BYTES, ' '));
  const unit = await flushed(Buffer.alloc(UNIT_DECODED_BYTES, ' '));
  compressor.destroy();
  return { encoding, prefix: Buffer.concat([head, first]), unit };
}

/** Compressed bytes the kernel has accepted from a response's socket so far, sampled as it writes. */
export interface SentCounter {
  readonly sent: () => number;
}

/**
 * Writes the bomb as fast as the socket takes it (waiting only for 'drain'), up to `limit`
 * compressed bytes, and counts the bytes handed to the kernel — the socket's `bytesWritten` less
 * what still waits in Node's own buffer.
 */
export function serveBomb(response: ServerResponse, bomb: EndlessBomb, limit: number): SentCounter {
  const socket = response.socket!;
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => bomb.unit));
  let sent = 0;
  const sample = (): void => {
    sent = Math.max(sent, socket.bytesWritten - socket.writableLength);
  };
  response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': bomb.encoding });
  response.write(bomb.prefix);
  const pump = (): void => {
    sample();
    while (!response.destroyed && socket.bytesWritten < limit) {
      if (!response.write(chunk)) return void response.once('drain', pump);
      sample();
    }
  };
  socket.once('close', sample);
  pump();
  return { sent: () => sent };
}

/**
 * How many bytes a fixture's response can hand to the kernel while the client reads nothing at
 * all: the loopback send and receive buffers. A reader that stops reading can never keep the
 * server from filling them, so they are the floor under any bound on bytes sent.
 */
export async function stalledReaderCapacity(origin: string, counted: () => SentCounter | undefined): Promise<number> {
  const { port } = new URL(origin);
  const client = connect(Number(port), '127.0.0.1');
  client.pause();
  await once(client, 'connect');
  client.write('GET / HTTP/1.1\r\nHost: fixture\r\n\r\n');
  let last = -1;
  // Settled once nothing more went out for 200 ms.
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = counted()?.sent() ?? 0;
    if (sent > 0 && sent === last) break;
    last = sent;
  }
  client.destroy();
  return last;
}
