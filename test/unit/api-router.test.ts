import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { badInputFrom, toErrorShape, zodPath } from '../../main/api/router';
import { ApiError } from '../../shared/errors';
import { parseWebArgs } from '../../main/server/args';
import { cookieValue, hostAllowed, tokenMatches } from '../../main/server/auth';

describe('router error mapping', () => {
  it('renders zod paths as dotted fields with indices', () => {
    expect(zodPath(['a', 0, 'b'])).toBe('a[0].b');
    expect(zodPath([])).toBe('');
  });

  it('names the first bad field and counts the rest', () => {
    const r = z.object({ a: z.string(), b: z.number(), c: z.boolean() }).safeParse({ a: 1, b: 'x', c: 'y' });
    expect(r.success).toBe(false);
    if (r.success) return;
    const e = badInputFrom('x.y', r.error);
    expect(e.code).toBe('BAD_INPUT');
    expect(e.field).toBe('a');
    expect(e.message).toMatch(/^x\.y: 'a': .*\(and 2 more problems\)$/);
  });

  it('keeps ApiErrors, marks aborts CANCELLED and hides nothing else but the message', () => {
    expect(toErrorShape(new ApiError('CONFLICT', 'stale', { field: 'spec' }))).toEqual({ code: 'CONFLICT', message: 'stale', field: 'spec' });
    expect(toErrorShape(Object.assign(new Error('x'), { name: 'AbortError' })).code).toBe('CANCELLED');
    expect(toErrorShape(new TypeError('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
  });
});

describe('web-mode flags', () => {
  it('parses flags and refuses unknown ones or bad ports', () => {
    expect(parseWebArgs(['--port', '8080', '--kubeconfig=/a', '--kubeconfig', '/b'])).toEqual({ host: '127.0.0.1', port: 8080, kubeconfigs: ['/a', '/b'] });
    expect(() => parseWebArgs(['--port', '70000'])).toThrow(/--port/);
    expect(() => parseWebArgs(['--evil'])).toThrow(/unknown flag --evil/);
    expect(() => parseWebArgs(['--host'])).toThrow(/needs a value/);
  });
});

describe('token and host checks', () => {
  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(null, 'abc')).toBe(false);
  });
  it('reads one cookie among many', () => {
    expect(cookieValue('a=1; meshdeck_token=xyz; b=2', 'meshdeck_token')).toBe('xyz');
    expect(cookieValue('meshdeck_tokenx=1', 'meshdeck_token')).toBeNull();
  });
  it('accepts only the hosts we serve', () => {
    const allowed = new Set(['127.0.0.1:8080', 'localhost:8080']);
    expect(hostAllowed('LOCALHOST:8080', allowed)).toBe(true);
    expect(hostAllowed('evil.example', allowed)).toBe(false);
    expect(hostAllowed(undefined, allowed)).toBe(false);
  });
});
