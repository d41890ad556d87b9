import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

let web: WebAppHandle;
beforeAll(async () => { web = await startWebApp(); });
afterAll(async () => { await web?.close(); });

function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: web.server.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function wsStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.server.port}/api/ws`, { headers });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('web mode token', () => {
  const bearer = () => ({ authorization: `Bearer ${web.token}` });

  it('binds loopback only by default', () => {
    expect(web.server.host).toBe('127.0.0.1');
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses API calls without the token or with a wrong one', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { cookie: 'meshdeck_token=wrong' }];
    for (const headers of attempts) {
      const res = await raw('/api/invoke/app.info', { method: 'POST', headers, body: '{}' });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
    const ok = await raw('/api/invoke/app.info', { method: 'POST', headers: bearer(), body: '{}' });
    expect(ok.status).toBe(200);
  });

  it('refuses the UI itself without the token', async () => {
    expect((await raw('/')).status).toBe(401);
    expect((await raw('/?token=wrong')).status).toBe(401);
  });

  it('trades the printed URL token for an HttpOnly cookie and a clean address', async () => {
    const res = await raw(`/?token=${web.token}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await raw('/', { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses sockets without the token or with a wrong one', async () => {
    expect(await wsStatus({})).toBe(401);
    expect(await wsStatus({ authorization: 'Bearer nope' })).toBe(401);
    expect(await wsStatus(bearer())).toBe(101);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const res = await raw('/api/invoke/app.info', { method: 'POST', headers: { ...bearer(), host: 'evil.example:80' }, body: '{}' });
    expect(res.status).toBe(421);
  });

  it('answers malformed JSON and oversized bodies with BAD_INPUT, not a crash', async () => {
    const bad = await raw('/api/invoke/app.info', { method: 'POST', headers: bearer(), body: '{"oops' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('BAD_INPUT');
    const big = await raw('/api/invoke/app.echo', { method: 'POST', headers: bearer(), body: `{"text":"${'x'.repeat(11 * 1024 * 1024)}"}` });
    expect(big.status).toBe(413);
    const still = await raw('/api/invoke/app.info', { method: 'POST', headers: bearer(), body: '{}' });
    expect(still.status).toBe(200);
  });

  it('maps typed errors to HTTP statuses', async () => {
    const res = await raw('/api/invoke/no.such', { method: 'POST', headers: bearer(), body: '{}' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error.code).toBe('UNKNOWN_CHANNEL');
  });
});
