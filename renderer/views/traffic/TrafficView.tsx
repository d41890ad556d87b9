import { useEffect, useMemo } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { useRoute } from '../../app/router';
import type { RoutingTarget } from '../../../shared/traffic/model';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { ServicePanel } from './ServicePanel';
import { AuditLog } from './AuditLog';
import { API_LABEL } from './labels';
import './traffic.css';

const STORE = 'meshdeck.traffic.last';
const SYSTEM_NS = /^(kube-|istio-system$|linkerd|cert-manager$|local-path|gatekeeper|flux-system$|argocd$)/;

/**
 * Traffic: pick a context, a namespace and a service that has routing; edit its routes.
 * Deep link (the graph's "open routing editor"): #/traffic?context=<ctxId>&namespace=<ns>&service=<svc>.
 */
export default function TrafficView() {
  const client = useClient();
  const qc = useQueryClient();
  const route = useRoute();
  const saved = useMemo(() => {
    try {
      return JSON.parse(localStorage.getItem(STORE) ?? '{}') as { context?: string; namespace?: string };
    } catch {
      return {};
    }
  }, []);
  const contextId = route.params.get('context') ?? saved.context ?? '';
  const namespace = route.params.get('namespace') ?? saved.namespace ?? '';
  const service = route.params.get('service') ?? '';
  const objectKind = route.params.get('kind') ?? '';
  const objectName = route.params.get('name') ?? '';
  const tab: 'edit' | 'audit' = route.params.get('tab') === 'audit' ? 'audit' : 'edit';

  const set = (p: Record<string, string | undefined>) => {
    const next = { context: contextId, namespace, service, kind: objectKind, name: objectName, tab: tab === 'audit' ? 'audit' : undefined, ...p };
    route.navigate('traffic', next);
  };

  const connections = useQuery({ queryKey: ['kube.connections'], queryFn: ({ signal }) => client.invoke('kube.connections', {}, { signal }) });
  const sources = useQuery({ queryKey: ['kube.sources'], queryFn: ({ signal }) => client.invoke('kube.sources', {}, { signal }) });
  const connected = (connections.data ?? []).filter((c) => c.status === 'connected');
  const conn = connected.find((c) => c.contextId === contextId) ?? null;
  const knownContext = sources.data?.contexts.find((c) => c.id === contextId);

  const connect = useMutation({
    mutationFn: (id: string) => client.invoke('kube.connect', { contextId: id }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['kube.connections'] }),
  });

  // Defaults: the first connected context and its first non-system namespace.
  useEffect(() => {
    if (connections.isLoading) return;
    if (!contextId && connected[0]) set({ context: connected[0].contextId, namespace: '' });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the data arrives
  }, [connections.isLoading, connected.length, contextId]);
  useEffect(() => {
    if (conn && !namespace) {
      const ns = conn.namespaces.find((n) => !SYSTEM_NS.test(n)) ?? conn.namespaces[0];
      if (ns) set({ namespace: ns });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the connection arrives
  }, [conn?.contextId, namespace]);
  useEffect(() => {
    if (contextId && namespace) localStorage.setItem(STORE, JSON.stringify({ context: contextId, namespace }));
  }, [contextId, namespace]);

  const list = useQuery({
    queryKey: ['traffic.list', contextId, namespace],
    queryFn: ({ signal }) => client.invoke('traffic.list', { contextId, namespace }, { signal }),
    enabled: !!conn && !!namespace,
    retry: false,
  });
  const targets = list.data?.targets ?? [];
  const selected: RoutingTarget | undefined =
    targets.find((t) => t.service === service && (!objectKind || (t.object.kind === objectKind && t.object.name === objectName))) ?? targets.find((t) => t.service === service);

  const header = (
    <div className="traffic-toolbar row">
      <label className="field inline">
        <span>Context</span>
        <select className="input" data-testid="traffic-context" value={contextId} onChange={(e) => set({ context: e.target.value, namespace: '', service: '', kind: '', name: '' })}>
          {!conn && contextId ? <option value={contextId}>{knownContext?.name ?? contextId} (not connected)</option> : null}
          {connected.length === 0 && !contextId ? <option value="">No connected context</option> : null}
          {connected.map((c) => (
            <option key={c.contextId} value={c.contextId}>{c.contextName}</option>
          ))}
        </select>
      </label>
      <label className="field inline">
        <span>Namespace</span>
        <select className="input" data-testid="traffic-namespace" value={namespace} disabled={!conn} onChange={(e) => set({ namespace: e.target.value, service: '', kind: '', name: '' })}>
          {namespace && !conn?.namespaces.includes(namespace) ? <option value={namespace}>{namespace}</option> : null}
          {(conn?.namespaces ?? []).map((n) => (
            <option key={n} value={n}>{n}</option>
          ))}
        </select>
      </label>
      <div className="spacer" />
      <div className="segmented" role="tablist">
        <button role="tab" aria-selected={tab === 'edit'} className={tab === 'edit' ? 'active' : ''} onClick={() => set({ tab: undefined })}>Routing</button>
        <button role="tab" aria-selected={tab === 'audit'} data-testid="tab-audit" className={tab === 'audit' ? 'active' : ''} onClick={() => set({ tab: 'audit' })}>Audit log</button>
      </div>
    </div>
  );

  let body;
  if (tab === 'audit') {
    body = <AuditLog contextId={contextId || undefined} />;
  } else if (connections.isLoading) {
    body = <Loading label="Reading connections…" />;
  } else if (!conn) {
    body = contextId && knownContext ? (
      <Empty title={`Context “${knownContext.name}” is not connected`}>
        <button className="btn primary" onClick={() => connect.mutate(contextId)} disabled={connect.isPending} data-testid="traffic-connect">
          {connect.isPending ? 'Connecting…' : 'Connect'}
        </button>
        {connect.error ? <ErrorBox error={connect.error} title="Could not connect" /> : null}
      </Empty>
    ) : (
      <Empty title="No connected cluster">
        <span>Traffic control edits the routing objects of a connected cluster.</span>
        <a href="#/connect">Connect a cluster</a>
      </Empty>
    );
  } else {
    body = (
      <div className="traffic-layout">
        <aside className="traffic-targets card" aria-label="Services with routing">
          <div className="traffic-targets-head">
            <strong>Services with routing</strong>
            <button className="btn small" onClick={() => void list.refetch()} disabled={list.isFetching} title="Reload">↻</button>
          </div>
          {list.isLoading ? <Loading label="Reading routing objects…" /> : null}
          {list.error ? <ErrorBox error={list.error} title="Could not list routing objects" onRetry={() => void list.refetch()} /> : null}
          {list.data && targets.length === 0 ? (
            <Empty title="No routing objects here">
              <span>No VirtualService, HTTPRoute or TrafficSplit in {namespace}.</span>
            </Empty>
          ) : null}
          {(list.data?.warnings ?? []).map((w, i) => (
            <div key={i} className="note warn small" title={w.message}>Could not read {String(w.details?.source ?? 'an API')}: {w.code}</div>
          ))}
          <ul className="traffic-target-list">
            {targets.map((t) => {
              const active = selected === t;
              return (
                <li key={`${t.object.kind}/${t.object.name}/${t.service}`}>
                  <a
                    href="#"
                    className={active ? 'active' : ''}
                    data-testid={`traffic-target-${t.service}`}
                    onClick={(e) => {
                      e.preventDefault();
                      set({ service: t.service, kind: t.object.kind, name: t.object.name });
                    }}
                  >
                    <span className="row" style={{ justifyContent: 'space-between', gap: 6 }}>
                      <strong>{t.service}</strong>
                      <span className="chip">{API_LABEL[t.api]}</span>
                    </span>
                    <span className="muted small">{t.object.kind} {t.object.name}</span>
                    <span className="small mono target-summary">{t.summary || '—'}</span>
                    {t.owners.length ? <span className="chip warn" title={t.owners.map((o) => o.message).join('\n')}>managed by {t.owners.map((o) => o.controller).join(', ')}</span> : null}
                  </a>
                </li>
              );
            })}
          </ul>
        </aside>
        <section className="traffic-main">
          {service && list.data && !selected ? (
            <div className="card">
              <Empty title={`No routing object steers “${service}” in ${namespace}`}>
                <span>Traffic control edits an existing VirtualService, HTTPRoute or TrafficSplit; none names this service.</span>
              </Empty>
            </div>
          ) : null}
          {selected ? (
            <ServicePanel
              key={`${contextId}/${namespace}/${selected.service}/${selected.object.kind}/${selected.object.name}`}
              contextId={contextId}
              namespace={namespace}
              target={selected}
            />
          ) : !service ? (
            <div className="card">
              <Empty title="Pick a service">
                <span>Its routes, weights, faults, A/B rules and timeouts show here, and every change is reviewed as a diff before it is applied.</span>
              </Empty>
            </div>
          ) : null}
        </section>
      </div>
    );
  }

  return (
    <div className="page traffic-page">
      <h1>Traffic</h1>
      <p className="sub">Weights, faults, A/B and blue-green routing on Istio, Gateway API and SMI — as guarded patches that keep every field they don’t manage.</p>
      {header}
      {body}
    </div>
  );
}
