/**
 * "Test connection": walks the way to Prometheus one stage at a time and stops at the first that
 * fails, so the user reads "TLS failed: unknown CA" rather than "fetch failed".
 *   direct:      config → dns → tcp → tls (https) → http (buildinfo; 401/403 = auth) → promql
 *   kube-proxy:  kube (API server) → proxy (service, endpoints, RBAC) → http → promql
 * The whole walk shares one time budget; a stage that runs out of it fails as `timeout`.
 */
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ApiError } from '../../shared/errors';
import type { ConnectionTestResult, TestStage, TestStep } from '../../shared/contract/metrics';
import type { PromClient } from './client';
import { classifyNetError } from './transport';

export interface DirectProbeTarget {
  url: string;
  insecureSkipTlsVerify?: boolean;
  ca?: string;
}

class Budget {
  private readonly end: number;
  constructor(readonly totalMs: number) {
    this.end = Date.now() + totalMs;
  }
  left(): number {
    return Math.max(1, this.end - Date.now());
  }
}

function timeoutError(stage: TestStage, where: string, ms: number): ApiError {
  return new ApiError('TIMEOUT', `${where}: no answer during the ${stage} stage within the ${ms} ms budget.`, { details: { stage: 'timeout', during: stage, url: where, timeoutMs: ms } });
}

function withBudget<T>(p: Promise<T>, ms: number, onTimeout: () => ApiError, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms);
    const onAbort = () => reject(new ApiError('CANCELLED', 'The connection test was cancelled.'));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function tcpProbe(host: string, port: number, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', (e) => {
      s.destroy();
      reject(classifyNetError(e, where, false));
    });
    s.setTimeout(60_000, () => s.destroy(new Error('tcp probe timeout')));
  });
}

function tlsProbe(host: string, port: number, servername: string, t: DirectProbeTarget, where: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, servername: isIP(servername) ? undefined : servername, rejectUnauthorized: !t.insecureSkipTlsVerify, ...(t.ca ? { ca: t.ca } : {}) });
    s.once('secureConnect', () => {
      const proto = s.getProtocol() ?? 'TLS';
      const subject = s.getPeerCertificate()?.subject?.CN;
      s.destroy();
      resolve(`${proto}${subject ? `, certificate for ${String(subject)}` : ''}${t.insecureSkipTlsVerify ? ' (verification skipped)' : ''}`);
    });
    s.once('error', (e) => {
      s.destroy();
      reject(classifyNetError(e, where, true));
    });
  });
}

export interface ProbeInput {
  client: PromClient;
  /** Set for a direct URL: enables the dns/tcp/tls stages. */
  direct?: DirectProbeTarget;
  timeoutMs: number;
  signal?: AbortSignal;
}

const stageOfError = (e: ApiError, fallback: TestStage): TestStage => {
  const s = e.details?.stage;
  if (e.code === 'TIMEOUT') return 'timeout';
  if (s === 'dns' || s === 'tcp' || s === 'tls' || s === 'kube' || s === 'proxy') return s;
  if (e.code === 'UNAUTHORIZED' || e.code === 'FORBIDDEN') return 'auth';
  return fallback;
};

export async function probeConnection(input: ProbeInput): Promise<ConnectionTestResult> {
  const started = Date.now();
  const budget = new Budget(input.timeoutMs);
  const steps: TestStep[] = [];
  const client = input.client;
  const where = client.describe;
  const result: ConnectionTestResult = {
    ok: false, target: where, via: client.transport.kind, failedStage: null, error: null, steps, prometheus: null, durationMs: 0,
  };
  const step = async <T>(stage: TestStage, run: () => Promise<T>, detail: (v: T) => string): Promise<T> => {
    const t0 = Date.now();
    try {
      const v = await withBudget(run(), budget.left(), () => timeoutError(stage, where, input.timeoutMs), input.signal);
      steps.push({ stage, ok: true, ms: Date.now() - t0, detail: detail(v) });
      return v;
    } catch (e) {
      let err = e instanceof ApiError ? e : classifyNetError(e, where, false);
      if (err.code === 'TIMEOUT' && err.details?.during === undefined) {
        err = new ApiError('TIMEOUT', err.message, { details: { ...(err.details ?? {}), during: stage }, cause: err });
      }
      const failed = stageOfError(err, stage);
      steps.push({ stage, ok: false, ms: Date.now() - t0, detail: err.message });
      result.failedStage = failed;
      result.error = err.toJSON();
      throw err;
    }
  };

  try {
    if (input.direct) {
      const url = new URL(input.direct.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      const addr = isIP(host)
        ? await step('dns', async () => host, () => `${host} is an IP address (no lookup)`)
        : await step(
            'dns',
            async () => {
              try {
                return (await lookup(host)).address;
              } catch (e) {
                throw classifyNetError(e, where, false);
              }
            },
            (a) => `${host} → ${a}`,
          );
      await step('tcp', () => tcpProbe(addr, port, where), () => `connected to ${addr}:${port}`);
      if (url.protocol === 'https:') await step('tls', () => tlsProbe(addr, port, host, input.direct!, where), (d) => d);
    }
    const info = await step(
      'http',
      () => client.buildInfo({ timeoutMs: budget.left(), ...(input.signal ? { signal: input.signal } : {}) }),
      (b) => (b ? `Prometheus API answers (version ${b.version})` : 'API answers (no buildinfo endpoint: a Prometheus-compatible backend)'),
    );
    const q = async (promql: string) => {
      const r = await client.query(promql, { timeoutMs: budget.left(), ...(input.signal ? { signal: input.signal } : {}) });
      if (r.data.resultType === 'vector') return r.data.series[0]?.value ?? 0;
      if (r.data.resultType === 'scalar') return r.data.value;
      return 0;
    };
    const found = await step(
      'promql',
      async () => {
        const [up, istio, linkerd] = await Promise.all([q('count(up == 1)'), q('count(istio_requests_total)'), q('count(response_total)')]);
        return { up, istio, linkerd };
      },
      (f) =>
        `${f.up} target(s) up; ${f.istio ? `${f.istio} Istio request series` : 'no Istio metrics'}; ${f.linkerd ? `${f.linkerd} Linkerd response series` : 'no Linkerd metrics'}`,
    );
    result.prometheus = {
      version: info?.version ?? null,
      targetsUp: found.up,
      istio: found.istio > 0,
      linkerd: found.linkerd > 0,
      istioSeries: found.istio,
      linkerdSeries: found.linkerd,
    };
    result.ok = true;
  } catch {
    /* result.failedStage and result.error say what happened */
  }
  result.durationMs = Date.now() - started;
  return result;
}
