import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { hostAllowlist } from '../src/index.js';

function appAllowing(hosts: readonly string[]) {
  const reached: string[] = [];
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      ctx.status = status;
      ctx.body = { error: (error as Error).message };
    }
  });
  app.use(hostAllowlist({ hosts }));
  app.use((ctx) => {
    reached.push(ctx.path);
    ctx.body = { ok: true };
  });
  return { app, reached };
}

describe('hostAllowlist', () => {
  it('when the Host header is listed (any case), then the request goes through', async () => {
    const { app, reached } = appAllowing(['natter-api-service:4567']);
    const response = await request(app.callback()).get('/x').set('Host', 'Natter-API-Service:4567');
    expect(response.status).toBe(200);
    expect(reached).toEqual(['/x']);
  });

  it('when the Host header is not listed, then 400 before any later middleware runs', async () => {
    const { app, reached } = appAllowing(['natter-api-service:4567']);
    const response = await request(app.callback()).get('/x').set('Host', 'attacker.example:4567');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid Host header' });
    expect(reached).toEqual([]);
  });

  it('when only the name matches but the port differs, then 400', async () => {
    const { app } = appAllowing(['natter-api-service:4567']);
    const response = await request(app.callback()).get('/x').set('Host', 'natter-api-service');
    expect(response.status).toBe(400);
  });

  it('fails when the list is empty', () => {
    expect(() => hostAllowlist({ hosts: [] })).toThrow('hostAllowlist needs at least one allowed host, got none');
  });
});
