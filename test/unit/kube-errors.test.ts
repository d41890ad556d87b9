import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { kubeErrorFrom, KubeHttpError, parseForbidden } from '../../main/kube/errors';
import { describeApiPath } from '../../main/kube/clients';

const scope = { context: 'prod-eu', server: 'https://10.0.0.1:6443' };
const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('kubeErrorFrom', () => {
  it.each([
    ['ECONNREFUSED', 'UNREACHABLE', 'connection refused'],
    ['ENOTFOUND', 'UNREACHABLE', 'host name not found'],
    ['EHOSTUNREACH', 'UNREACHABLE', 'host unreachable'],
    ['ECONNRESET', 'UNREACHABLE', 'connection reset'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'TLS', 'not signed by a trusted certificate authority'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'TLS', 'self-signed CA'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS', 'self-signed certificate'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS', 'does not name this host'],
    ['CERT_HAS_EXPIRED', 'TLS', 'has expired'],
    ['ETIMEDOUT', 'TIMEOUT', 'in time'],
  ])('%s → %s', (errno, code, words) => {
    const e = kubeErrorFrom(sysErr(errno), scope);
    expect(e.code).toBe(code);
    expect(e.message).toContain('context "prod-eu" (https://10.0.0.1:6443)');
    expect(e.message).toContain(words);
    expect(e.details?.errno).toBe(errno);
  });

  it('finds the socket error inside fetch-style causes, and "socket hang up" without a code', () => {
    expect(kubeErrorFrom(new TypeError('fetch failed', { cause: sysErr('ECONNREFUSED') }), scope).code).toBe('UNREACHABLE');
    expect(kubeErrorFrom(new Error('socket hang up'), scope).code).toBe('UNREACHABLE');
    expect(kubeErrorFrom(sysErr('EPROTO', 'write EPROTO 1234:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), scope).message).toMatch(/does not speak TLS/);
  });

  it('401 → UNAUTHORIZED; 403 → FORBIDDEN with verb, resource, user and namespace from the Status body', () => {
    expect(kubeErrorFrom(new KubeHttpError(401, '{"kind":"Status","message":"Unauthorized","code":401}'), scope).code).toBe('UNAUTHORIZED');
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'virtualservices.networking.istio.io "reviews" is forbidden: User "alice@example.com" cannot patch resource "virtualservices" in API group "networking.istio.io" in the namespace "bookinfo"',
    });
    const e = kubeErrorFrom(new KubeHttpError(403, body), scope);
    expect(e.code).toBe('FORBIDDEN');
    expect(e.details).toMatchObject({ status: 403, verb: 'patch', resource: 'virtualservices.networking.istio.io', user: 'alice@example.com', namespace: 'bookinfo', reason: 'Forbidden' });
    expect(e.message).toContain('user "alice@example.com" may not patch virtualservices.networking.istio.io in namespace "bookinfo"');
  });

  it('403 without a parsable message uses the verb and resource the caller gave', () => {
    const e = kubeErrorFrom(new KubeHttpError(403, 'nope'), { ...scope, verb: 'get', resource: 'services/proxy' });
    expect(e.details).toMatchObject({ verb: 'get', resource: 'services/proxy' });
  });

  it('understands client-node ApiException (numeric code, Status body as text)', () => {
    const ex = new ApiException(409, 'Conflict', '{"kind":"Status","message":"the object has been modified","reason":"Conflict","code":409}', {});
    const e = kubeErrorFrom(ex, { ...scope, verb: 'update', resource: 'trafficsplits.split.smi-spec.io' });
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('the object has been modified');
    expect(kubeErrorFrom(new ApiException(404, 'Not Found', undefined, {}), scope).code).toBe('NOT_FOUND');
    expect(kubeErrorFrom(new ApiException(503, 'x', 'upstream down', {}), scope).code).toBe('UPSTREAM');
  });

  it('timeouts and cancels from AbortSignal; ApiErrors pass through unchanged', () => {
    const timeout = Object.assign(new Error('aborted'), { name: 'AbortError', cause: Object.assign(new Error('t'), { name: 'TimeoutError' }) });
    expect(kubeErrorFrom(timeout, scope).code).toBe('TIMEOUT');
    expect(kubeErrorFrom(Object.assign(new Error('aborted'), { name: 'AbortError' }), scope).code).toBe('CANCELLED');
    const own = new ApiError('INVALID_CONFIG', 'x');
    expect(kubeErrorFrom(own, scope)).toBe(own);
  });
});

describe('helpers', () => {
  it('parseForbidden reads cluster-scoped messages', () => {
    expect(parseForbidden('namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope')).toEqual({
      user: 'system:anonymous', verb: 'list', resource: 'namespaces', group: '',
    });
  });

  it('describeApiPath names the RBAC verb and resource of a path', () => {
    expect(describeApiPath('GET', '/api/v1/namespaces')).toEqual({ verb: 'list', resource: 'namespaces' });
    expect(describeApiPath('PATCH', '/apis/networking.istio.io/v1/namespaces/bookinfo/virtualservices/reviews')).toEqual({
      verb: 'patch', resource: 'virtualservices.networking.istio.io "reviews" in namespace "bookinfo"',
    });
    expect(describeApiPath('POST', '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query')).toEqual({
      verb: 'create', resource: 'services/proxy "prometheus:9090" in namespace "monitoring"',
    });
    expect(describeApiPath('GET', '/version')).toEqual({});
  });
});
