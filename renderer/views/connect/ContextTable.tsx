import { Fragment } from 'react';
import type { KubeConnection, KubeContextInfo, KubeconfigFileInfo } from '../../../shared/contract/kube';
import { AUTH_LABEL, ORIGIN_LABEL } from './labels';

export interface ContextActions {
  connect(id: string): void;
  disconnect(id: string): void;
  cancel(id: string): void;
}

function StatusCell({ conn, connecting }: { conn: KubeConnection | undefined; connecting: boolean }) {
  if (connecting) return <span className="chip"><span className="spinner kc-spinner-sm" /> connecting</span>;
  if (!conn) return <span className="muted">—</span>;
  if (conn.status === 'connected') return <span className="chip ok">connected</span>;
  if (conn.status === 'error') return <span className="chip bad" title={conn.error?.message}>{conn.error?.code ?? 'error'}</span>;
  return <span className="chip">{conn.status}</span>;
}

function Row({
  ctx,
  current,
  conn,
  connecting,
  selected,
  onSelect,
  actions,
  shadowName,
}: {
  ctx: KubeContextInfo;
  current: boolean;
  conn: KubeConnection | undefined;
  connecting: boolean;
  selected: boolean;
  onSelect: (on: boolean) => void;
  actions: ContextActions;
  shadowName: string | null;
}) {
  const broken = ctx.error !== null;
  const live = conn?.status === 'connected';
  const auth = AUTH_LABEL[ctx.authKind];
  return (
    <Fragment>
      <tr data-testid="context-row" data-context-id={ctx.id} className={broken ? 'kc-broken' : undefined}>
        <td>
          <input type="checkbox" aria-label={`Select ${ctx.name}`} checked={selected} disabled={broken} onChange={(e) => onSelect(e.target.checked)} />
        </td>
        <td>
          <div className="row kc-name">
            <strong>{ctx.name}</strong>
            {current ? <span className="chip accent" title="kubectl's current-context">current</span> : null}
          </div>
          <div className="muted kc-small">cluster {ctx.cluster || '—'} · user {ctx.user || '—'}</div>
        </td>
        <td className="mono kc-server-cell" title={ctx.server ?? ''}>{ctx.server ?? '—'}</td>
        <td><span className="chip" title={auth.title}>{auth.text}</span></td>
        <td>{ctx.namespace ?? <span className="muted">default</span>}</td>
        <td>
          <div className="row kc-badges">
            {ctx.shadowedBy ? <span className="chip warn" title={`kubectl uses "${shadowName ?? ctx.shadowedBy}" from an earlier KUBECONFIG file; this one is still usable here.`}>shadowed</span> : null}
            {broken ? <span className="chip bad">broken</span> : null}
            {ctx.insecureSkipTlsVerify ? <span className="chip warn" title="insecure-skip-tls-verify: the server's certificate is not checked">TLS unverified</span> : null}
          </div>
        </td>
        <td><StatusCell conn={conn} connecting={connecting} /></td>
        <td className="kc-actions">
          {connecting ? (
            <button className="btn small" onClick={() => actions.cancel(ctx.id)}>Cancel</button>
          ) : live ? (
            <button className="btn small" onClick={() => actions.disconnect(ctx.id)}>Disconnect</button>
          ) : (
            <button className="btn small primary" disabled={broken} data-testid="connect-button" onClick={() => actions.connect(ctx.id)}>
              {conn?.status === 'error' ? 'Retry' : 'Connect'}
            </button>
          )}
        </td>
      </tr>
      {broken && ctx.error ? (
        <tr className="kc-broken-detail">
          <td />
          <td colSpan={7}>
            <span className="field-error" data-testid="context-error">{ctx.error.message}</span>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

/** Contexts grouped by the file they come from, in kubectl's file order. */
export function ContextTable({
  files,
  contexts,
  currentContext,
  connections,
  connecting,
  selected,
  setSelected,
  actions,
}: {
  files: KubeconfigFileInfo[];
  contexts: KubeContextInfo[];
  currentContext: string | null;
  connections: Map<string, KubeConnection>;
  connecting: Set<string>;
  selected: Set<string>;
  setSelected: (next: Set<string>) => void;
  actions: ContextActions;
}) {
  const byId = new Map(contexts.map((c) => [c.id, c]));
  const groups = files
    .map((f) => ({ file: f, items: contexts.filter((c) => c.file === f.path) }))
    // A file that failed to parse stays visible here too, with its error, so it isn't missed.
    .filter((g) => g.items.length > 0 || g.file.error !== null);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  return (
    <table className="table kc-table">
      <thead>
        <tr>
          <th aria-label="Select" />
          <th>Context</th>
          <th>Server</th>
          <th>Auth</th>
          <th>Namespace</th>
          <th />
          <th>Status</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {groups.map((g) => (
          <Fragment key={g.file.path}>
            <tr className="kc-group">
              <td colSpan={8}>
                <span className="mono">{g.file.path}</span>{' '}
                <span className="chip" title={ORIGIN_LABEL[g.file.origin].title}>{ORIGIN_LABEL[g.file.origin].text}</span>{' '}
                {g.file.error ? (
                  <span className="field-error" data-testid="group-file-error">
                    {g.file.error.line !== undefined ? `line ${g.file.error.line}: ` : ''}
                    {g.file.error.message}
                  </span>
                ) : (
                  <span className="muted">{g.items.length} context{g.items.length === 1 ? '' : 's'}</span>
                )}
              </td>
            </tr>
            {g.items.map((ctx) => (
              <Row
                key={ctx.id}
                ctx={ctx}
                current={ctx.id === currentContext}
                conn={connections.get(ctx.id)}
                connecting={connecting.has(ctx.id)}
                selected={selected.has(ctx.id)}
                onSelect={(on) => toggle(ctx.id, on)}
                actions={actions}
                shadowName={ctx.shadowedBy ? (byId.get(ctx.shadowedBy)?.file ?? null) : null}
              />
            ))}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
