import type { ReactNode } from 'react';
import type { ApiErrorShape } from '../../shared/errors';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" />
      <span>{label}</span>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state">
      <div className="title">{title}</div>
      {children}
    </div>
  );
}

const HINTS: Partial<Record<ApiErrorShape['code'], string>> = {
  UNREACHABLE: 'The server could not be reached: check the address, VPN and that it is running.',
  TLS: 'The TLS handshake failed: check the certificate authority and the server name.',
  UNAUTHORIZED: 'The credentials were rejected: the token may have expired.',
  FORBIDDEN: 'You are signed in but RBAC does not allow this.',
  TIMEOUT: 'No answer within the time limit.',
};

export function ErrorBox({ error, title, onRetry }: { error: ApiErrorShape | Error | unknown; title?: string; onRetry?: () => void }) {
  const e = normalise(error);
  return (
    <div className="error-box" role="alert">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <strong>{title ?? 'Something went wrong'}</strong>
        <span className="code">{e.code}</span>
      </div>
      <div>{e.message}</div>
      {e.field ? <div className="muted">Field: <code>{e.field}</code></div> : null}
      {HINTS[e.code] ? <div className="muted">{HINTS[e.code]}</div> : null}
      {onRetry ? <button className="btn small" style={{ marginTop: 8 }} onClick={onRetry}>Retry</button> : null}
    </div>
  );
}

export function normalise(error: unknown): ApiErrorShape {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const e = error as ApiErrorShape;
    return { code: e.code, message: e.message, field: e.field, details: e.details };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
