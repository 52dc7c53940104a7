import type { NatterContext, NatterMiddleware } from '../context.js';
import { fail, HttpError } from '../http-error.js';

/** Bodies over this are refused with 413 (contract: 64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A POST with a body must be `application/json` (parameters such as `charset=utf-8` accepted;
 * another charset is not) or it is a 415; bodies are capped (413) and must be one JSON object (400).
 * A POST without a body needs no Content-Type.
 */
export function jsonBody(options: { readonly maxBytes?: number } = {}): NatterMiddleware {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  return async function jsonBodyMiddleware(ctx, next) {
    if (ctx.method !== 'POST' || !hasBody(ctx)) return next();
    if (!isJson(ctx.get('Content-Type'))) fail(415, 'Only application/json supported');
    const declared = Number(ctx.get('Content-Length') || '0');
    if (declared > maxBytes) tooLarge(ctx, maxBytes);
    const raw = await readLimited(ctx, maxBytes);
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      fail(400, 'body is not valid UTF-8');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail(400, 'body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(400, 'body must be a JSON object');
    ctx.state.body = parsed as Record<string, unknown>;
    return next();
  };
}

function hasBody(ctx: NatterContext): boolean {
  const length = ctx.get('Content-Length');
  return ctx.get('Transfer-Encoding') !== '' || (length !== '' && length !== '0');
}

function isJson(contentType: string): boolean {
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || value === 'utf-8' || value === '"utf-8"' || value === 'utf8';
  });
}

function tooLarge(ctx: NatterContext, maxBytes: number): never {
  // The unread remainder would poison a kept-alive connection.
  ctx.set('Connection', 'close');
  fail(413, `body larger than ${maxBytes} bytes`);
}

async function readLimited(ctx: NatterContext, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of ctx.req) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) tooLarge(ctx, maxBytes);
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    fail(400, 'request body was not received completely');
  }
  return Buffer.concat(chunks, total);
}
