import { useMemo, useState } from 'react';
import type { KubeConnection } from '../../../shared/contract/kube';
import { Empty, ErrorBox, Loading, normalise } from '../../components/States';
import { ConnectionCard } from './ConnectionCard';
import { ContextTable } from './ContextTable';
import { FilesCard } from './FilesCard';
import { useKubeConnect, useKubeConnections, useKubeSources } from './useKube';
import './connect.css';

/**
 * Clusters: the kubeconfig files kubectl would read (plus added ones), their contexts, and the
 * live connections. Several contexts can be connected at once; each failure says what kind it is.
 */
export default function ConnectView() {
  const sources = useKubeSources();
  const connectionsQuery = useKubeConnections();
  const kc = useKubeConnect();
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());

  const connections = useMemo(() => new Map((connectionsQuery.data ?? []).map((c) => [c.contextId, c])), [connectionsQuery.data]);
  const data = sources.data;
  const visible = useMemo(() => {
    const q = filter.trim().toLowerCase();
    if (!data) return [];
    if (!q) return data.contexts;
    return data.contexts.filter((c) => `${c.name} ${c.cluster} ${c.server ?? ''} ${c.user} ${c.namespace ?? ''}`.toLowerCase().includes(q));
  }, [data, filter]);

  // Cards for every connection, plus contexts whose first connect is still in flight.
  const cards: KubeConnection[] = useMemo(() => {
    const list = [...connections.values()];
    for (const id of kc.connecting) {
      if (connections.has(id)) continue;
      const ctx = data?.contexts.find((c) => c.id === id);
      if (!ctx) continue;
      list.push({
        contextId: id, contextName: ctx.name, server: ctx.server, status: 'connecting', serverVersion: null, namespaces: [], namespacesTruncated: false,
        detected: null, error: null, warnings: [], connectedAt: null,
      });
    }
    return list;
  }, [connections, kc.connecting, data]);

  const connectErr = kc.connectError ? normalise(kc.connectError) : null;
  const existing = data?.files.filter((f) => f.exists).length ?? 0;
  const selectable = [...selected].filter((id) => data?.contexts.some((c) => c.id === id && !c.error));

  return (
    <div className="page kc-page" data-testid="connect-view">
      <h1>Clusters</h1>
      <p className="sub">Kubeconfig files read as kubectl reads them: KUBECONFIG in order (the first file wins a name clash), else ~/.kube/config, plus files you add. Connect one context or several.</p>

      {!data ? (
        sources.isError ? (
          <ErrorBox title="Could not read the kubeconfig files" error={sources.error} onRetry={() => void sources.refetch()} />
        ) : (
          <Loading label="Reading kubeconfig files…" />
        )
      ) : (
        <>
          {sources.liveError ? <div className="muted kc-live">Live updates paused: {sources.liveError.message}</div> : null}
          {connectErr && connectErr.code !== 'CANCELLED' ? <ErrorBox title="Connect failed" error={connectErr} /> : null}

          {cards.length > 0 ? (
            <section aria-label="Connections" className="kc-section">
              <div className="grid2">
                {cards.map((c) => (
                  <ConnectionCard
                    key={c.contextId}
                    c={c}
                    connecting={kc.connecting.has(c.contextId)}
                    onRetry={() => kc.connect(c.contextId)}
                    onDisconnect={() => kc.disconnect(c.contextId)}
                    onCancel={() => kc.cancel(c.contextId)}
                  />
                ))}
              </div>
            </section>
          ) : null}

          <section className="card kc-section" aria-labelledby="kc-contexts">
            <div className="row kc-toolbar">
              <h2 id="kc-contexts">Contexts</h2>
              <span className="muted">{data.contexts.length} in {existing} file{existing === 1 ? '' : 's'}</span>
              <div className="kc-grow" />
              {data.contexts.length > 8 ? (
                <input className="input" type="search" placeholder="Filter contexts…" aria-label="Filter contexts" value={filter} onChange={(e) => setFilter(e.target.value)} />
              ) : null}
              <button
                className="btn primary"
                disabled={selectable.length === 0}
                data-testid="connect-selected"
                onClick={() => {
                  kc.connectMany(selectable);
                  setSelected(new Set());
                }}
              >
                Connect selected{selectable.length > 0 ? ` (${selectable.length})` : ''}
              </button>
            </div>
            {data.contexts.length === 0 ? (
              <Empty title="No contexts found">
                <span>
                  None of the files below defines a context. Set <code>KUBECONFIG</code> before starting meshdeck, create <code>~/.kube/config</code>, or add a kubeconfig file.
                </span>
              </Empty>
            ) : visible.length === 0 ? (
              <Empty title={`No context matches “${filter}”`} />
            ) : (
              <ContextTable
                files={data.files}
                contexts={visible}
                currentContext={data.currentContext}
                connections={connections}
                connecting={kc.connecting}
                selected={selected}
                setSelected={setSelected}
                actions={{ connect: kc.connect, disconnect: kc.disconnect, cancel: kc.cancel }}
              />
            )}
          </section>

          <FilesCard files={data.files} contexts={data.contexts} />
        </>
      )}
    </div>
  );
}
