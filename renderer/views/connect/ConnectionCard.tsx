import { useState } from 'react';
import type { KubeConnection } from '../../../shared/contract/kube';
import type { ApiErrorShape } from '../../../shared/errors';
import { connectionHint, ERROR_TITLE } from './labels';

const NS_PREVIEW = 14;

export function ConnectionError({ error, server }: { error: ApiErrorShape; server: string | null }) {
  const hint = connectionHint(error, server);
  return (
    <div className="error-box" role="alert" data-testid="connection-error" data-code={error.code}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <strong>{ERROR_TITLE[error.code] ?? 'Connection failed'}</strong>
        <span className="code">{error.code}</span>
      </div>
      <div className="kc-error-message">{error.message}</div>
      {hint ? <div className="muted kc-hint">{hint}</div> : null}
    </div>
  );
}

function MeshChips({ c }: { c: KubeConnection }) {
  const d = c.detected;
  if (!d) return <span className="muted">Mesh detection unavailable</span>;
  const found = [
    d.istio && <span key="istio" className="chip accent" data-testid="chip-istio">Istio detected</span>,
    d.gatewayApi && <span key="gw" className="chip accent" data-testid="chip-gateway-api">Gateway API</span>,
    d.smi && <span key="smi" className="chip accent" data-testid="chip-smi">SMI</span>,
    d.linkerd && <span key="linkerd" className="chip accent" data-testid="chip-linkerd">Linkerd</span>,
  ].filter(Boolean);
  const how = d.source === 'crds' ? 'from the CRD list' : 'from API discovery (listing CRDs is not allowed)';
  return (
    <div className="row" title={`Found ${how}. Groups: ${d.groups.join(', ') || 'none'}`}>
      {found.length > 0 ? found : <span className="muted">No service mesh or traffic API found</span>}
    </div>
  );
}

export function ConnectionCard({
  c,
  connecting,
  onRetry,
  onDisconnect,
  onCancel,
}: {
  c: KubeConnection;
  connecting: boolean;
  onRetry: () => void;
  onDisconnect: () => void;
  onCancel: () => void;
}) {
  const [allNs, setAllNs] = useState(false);
  const status = connecting ? 'connecting' : c.status;
  const shown = allNs ? c.namespaces : c.namespaces.slice(0, NS_PREVIEW);
  return (
    <section className="card kc-conn" data-testid="connection-card" data-context-id={c.contextId} data-status={status} aria-busy={status === 'connecting'}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 className="kc-conn-title" title={c.contextId}>{c.contextName}</h2>
        {status === 'connected' ? <span className="chip ok">connected</span> : status === 'connecting' ? <span className="chip"><span className="spinner kc-spinner-sm" /> connecting</span> : <span className="chip bad">failed</span>}
      </div>
      <div className="mono muted kc-server">{c.server ?? 'no server'}</div>

      {status === 'connecting' ? (
        <div className="row muted kc-gap">Asking for the version, namespaces and installed APIs…</div>
      ) : c.status === 'error' && c.error ? (
        <div className="kc-gap"><ConnectionError error={c.error} server={c.server} /></div>
      ) : (
        <div className="kc-facts kc-gap">
          <div className="muted">Version</div>
          <div className="mono" data-testid="server-version">{c.serverVersion}</div>
          <div className="muted">Mesh</div>
          <MeshChips c={c} />
          <div className="muted">Namespaces</div>
          <div>
            <span data-testid="namespace-count">{c.namespaces.length}{c.namespacesTruncated ? '+' : ''}</span>
            <div className="row kc-ns">
              {shown.map((n) => <span key={n} className="chip">{n}</span>)}
              {c.namespaces.length > NS_PREVIEW ? (
                <button className="btn small" onClick={() => setAllNs((v) => !v)}>{allNs ? 'Show fewer' : `+${c.namespaces.length - NS_PREVIEW} more`}</button>
              ) : null}
            </div>
          </div>
        </div>
      )}

      {c.warnings.length > 0 && status === 'connected' ? (
        <ul className="kc-warnings">
          {c.warnings.map((w, i) => (
            <li key={i} className="kc-warning" data-code={w.code}>
              <span className="chip warn">{w.code}</span> {w.message}
              {connectionHint(w, c.server) ? <div className="muted">{connectionHint(w, c.server)}</div> : null}
            </li>
          ))}
        </ul>
      ) : null}

      <div className="row kc-gap">
        {status === 'connecting' ? (
          <button className="btn small" onClick={onCancel}>Cancel</button>
        ) : (
          <>
            <button className="btn small" onClick={onRetry}>{c.status === 'error' ? 'Retry' : 'Refresh'}</button>
            <button className="btn small danger" onClick={onDisconnect}>{c.status === 'error' ? 'Dismiss' : 'Disconnect'}</button>
          </>
        )}
        {c.connectedAt && status === 'connected' ? <span className="muted">since {new Date(c.connectedAt).toLocaleTimeString()}</span> : null}
      </div>
    </section>
  );
}
