import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { GraphOptionsInput } from '../../../shared/contract/graph';
import { STATE_LABELS } from '../../../shared/canary/format';
import { isTerminal } from '../../../shared/canary/types';
import type { CanaryRun } from '../../../shared/canary/types';
import type { LagBadge } from '../../../shared/contract/projections';
import type { Graph, GraphEdge, GraphNode, HealthStatus, RoutingObjectRef } from '../../../shared/graph/types';
import { ErrorBox, Loading } from '../../components/States';
import { LineChart } from './Chart';
import { fmtBytes, fmtMs, fmtPct, fmtRate } from './format';
import { CANARY_GLYPH, EDITABLE_ROUTING_KINDS, LAG_GLYPH, canaryHref, canaryText, lagText, projectionsHref, servicesOf, trafficHref } from './overlays';
import type { NodeOverlay, ServiceRef } from './overlays';

const HEALTH_CHIP: Record<HealthStatus, string> = { healthy: 'ok', degraded: 'warn', failure: 'bad', idle: '', na: '' };

function Health({ status, reason }: { status: HealthStatus; reason?: string }) {
  return <span className={`chip ${HEALTH_CHIP[status]}`} title={reason}>{status === 'na' ? 'no requests' : status}{reason ? ` · ${reason}` : ''}</span>;
}

function Facts({ node, edge }: { node?: GraphNode; edge?: GraphEdge }) {
  if (node) {
    const t = node.traffic;
    return (
      <div className="facts">
        <Health status={node.health} reason={node.healthReason} />
        <span className="chip">{node.type}</span>
        {node.mesh ? <span className="chip">{node.mesh}</span> : null}
        {node.isOutside ? <span className="chip">outside selected namespaces</span> : null}
        {node.isRoot ? <span className="chip">traffic source</span> : null}
        {node.mtlsMode ? <span className="chip" title="PeerAuthentication mode in force">mTLS {node.mtlsMode}</span> : null}
        {node.badges.filter((b) => b !== 'mtls').map((b) => <span key={b} className="chip accent">{b}</span>)}
        <div className="muted small">
          in {fmtRate(t.httpIn.total)} rps · out {fmtRate(t.httpOut.total)} rps{t.tcpIn + t.tcpOut > 0 ? ` · tcp ${fmtBytes(t.tcpIn + t.tcpOut)}` : ''}
        </div>
      </div>
    );
  }
  if (!edge) return null;
  return (
    <div className="facts">
      <Health status={edge.health} reason={edge.healthReason} />
      <span className="chip">{edge.protocol}</span>
      <span className="chip">{edge.mesh}</span>
      <div className="muted small">
        {edge.protocol === 'tcp' ? fmtBytes(edge.rate) : `${fmtRate(edge.rate)} rps · ${fmtPct(edge.errorPct)}% errors`} · {fmtPct(edge.sharePct)}% of source
        {edge.responseTime ? ` · p50 ${fmtMs(edge.responseTime.p50)} p95 ${fmtMs(edge.responseTime.p95)} p99 ${fmtMs(edge.responseTime.p99)}` : ''}
        {edge.mtlsPct !== null ? ` · mTLS ${fmtPct(edge.mtlsPct)}%` : ''}
        {edge.throughput !== null && edge.protocol !== 'tcp' ? ` · ${fmtBytes(edge.throughput)}` : ''}
      </div>
      {Object.keys(edge.codes).length > 0 ? (
        <table className="table compact" data-testid="codes">
          <thead><tr><th>Code</th><th>rps</th><th>%</th></tr></thead>
          <tbody>
            {Object.entries(edge.codes).sort((a, b) => b[1] - a[1]).map(([c, r]) => (
              <tr key={c}><td>{c}</td><td>{fmtRate(r)}</td><td>{fmtPct(edge.rate > 0 ? (r / edge.rate) * 100 : 0)}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export function SidePanel({ graph, id, options, overlay, runs, badges, onClose, onSelect }: {
  graph: Graph; id: string; options: GraphOptionsInput; overlay: NodeOverlay | undefined; runs: readonly CanaryRun[]; badges: readonly LagBadge[];
  onClose(): void; onSelect(id: string): void;
}) {
  const client = useClient();
  const node = graph.nodes.find((n) => n.id === id);
  const edge = node ? undefined : graph.edges.find((e) => e.id === id);
  const detail = useQuery({
    queryKey: ['graph.nodeDetail', options, id, graph.at],
    queryFn: ({ signal }) => client.invoke('graph.nodeDetail', { options, id }, { signal }),
    placeholderData: (prev) => (prev?.id === id ? prev : undefined),
    staleTime: 10_000,
  });
  const d = detail.data;
  const css = getComputedStyle(document.documentElement);
  const color = (v: string) => css.getPropertyValue(v).trim();
  const services = node ? servicesOf(graph, node) : [];
  const title = node ? `${node.namespace !== 'unknown' ? `${node.namespace}/` : ''}${node.name}` : edge ? d?.title ?? 'edge' : id;
  return (
    <aside className="graph-panel" data-testid="graph-panel" aria-label="Selection details">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 title={id}>{title}</h2>
        <button className="btn small" onClick={onClose} aria-label="Close panel">✕</button>
      </div>
      <Facts node={node} edge={edge} />
      {node ? <NodeLinks services={services} overlay={overlay} runs={runs} badges={badges} /> : null}
      {detail.isPending ? <Loading label="Loading signals…" /> : null}
      {detail.isError && !d ? <ErrorBox error={detail.error} title="Could not load the signals" onRetry={() => void detail.refetch()} /> : null}
      {d ? (
        <>
          <h3>Golden signals</h3>
          <LineChart title="Requests/s" unit="rps" format={fmtRate} lines={[{ series: d.series.rps, color: color('--accent') }]} />
          <LineChart title="Success rate" unit="%" format={(v) => fmtPct(v)} yMax={100} lines={[{ series: d.series.successRate, color: color('--ok') }]} />
          <LineChart
            title="Latency p50 / p95 / p99"
            unit=""
            format={fmtMs}
            lines={[
              { series: d.series.p50, color: color('--ok') },
              { series: d.series.p95, color: color('--warn') },
              { series: d.series.p99, color: color('--bad') },
            ]}
          />
          {d.kind === 'node' ? (
            <>
              <TrafficTable title="Inbound" rows={d.inbound} onSelect={onSelect} />
              <TrafficTable title="Outbound" rows={d.outbound} onSelect={onSelect} />
            </>
          ) : null}
          <h3>Routing</h3>
          {d.routing.length === 0 ? <div className="muted small">No VirtualService, DestinationRule, HTTPRoute or TrafficSplit acts on it.</div> : (
            <ul className="plain">
              {d.routing.map((r) => {
                const svc = serviceFor(services, r);
                return (
                  <li key={`${r.kind}/${r.namespace}/${r.name}`} className="routing-ref" data-testid="routing-ref">
                    <div><strong>{r.kind}</strong> {r.namespace}/{r.name}<div className="muted small">{r.summary}</div></div>
                    {svc ? (
                      <a className="btn small" href={trafficHref(svc, EDITABLE_ROUTING_KINDS.includes(r.kind) ? { kind: r.kind, name: r.name } : undefined)} title={`Open ${svc.service} in the Traffic view`}>
                        Edit
                      </a>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}
          <h3>Security</h3>
          {d.security ? (
            <div className="small">
              <div>PeerAuthentication: <strong>{d.security.peerAuthentication.mode === 'UNSET' ? 'not set (PERMISSIVE)' : d.security.peerAuthentication.mode}</strong>{d.security.peerAuthentication.from ? <span className="muted"> from {d.security.peerAuthentication.from}</span> : null}</div>
              {d.security.authorizationPolicies.length === 0 ? <div className="muted">No AuthorizationPolicy selects it.</div> : (
                <ul className="plain">{d.security.authorizationPolicies.map((a) => <li key={`${a.namespace}/${a.name}`}>{a.action} {a.namespace}/{a.name} <span className="muted">({a.rules} rules)</span></li>)}</ul>
              )}
              {d.security.note ? <div className="muted">{d.security.note}</div> : null}
            </div>
          ) : <div className="muted small">No workload policy applies here (services and unknown callers have none).</div>}
          {d.warnings.length ? <div className="muted small warn-text">{d.warnings.join(' · ')}</div> : null}
        </>
      ) : null}
    </aside>
  );
}

/** The routing object's service among the node's: by name, then by namespace. */
function serviceFor(services: ServiceRef[], r: RoutingObjectRef): ServiceRef | undefined {
  return services.find((s) => s.namespace === r.namespace && s.service === r.name) ?? services.find((s) => s.namespace === r.namespace) ?? services[0];
}

const sameService = (s: ServiceRef, ns: string, svc: string) => s.namespace === ns && s.service === svc;

/**
 * What the node's services mean elsewhere: their routing editor, a canary run on them, the lag of
 * the event store they own. Shown at once, before the signals load.
 */
function NodeLinks({ services, overlay, runs, badges }: { services: ServiceRef[]; overlay: NodeOverlay | undefined; runs: readonly CanaryRun[]; badges: readonly LagBadge[] }) {
  if (services.length === 0) return null;
  // The node's own mark first; otherwise the newest run on one of its services (a finished one says how it ended).
  const mine = runs
    .filter((r) => services.some((s) => (s.contextId === null || s.contextId === r.contextId) && sameService(s, r.spec.target.namespace, r.spec.target.service)))
    .sort((a, b) => Date.parse(b.progress.updatedAt) - Date.parse(a.progress.updatedAt));
  const run = (overlay?.canary ? mine.find((r) => r.id === overlay.canary!.runId) : undefined) ?? mine.find((r) => !isTerminal(r.progress.state)) ?? mine[0];
  const lag = badges.filter((b) => services.some((s) => sameService(s, b.namespace, b.service)));
  return (
    <>
      <div className="actions">
        {services.map((s) => (
          <a key={`${s.namespace}/${s.service}`} className="btn small primary" href={trafficHref(s)} data-testid="edit-routing" title={`Open the routing editor for ${s.namespace}/${s.service}`}>
            Edit routing{services.length > 1 ? ` · ${s.service}` : ''}
          </a>
        ))}
      </div>
      {run ? (
        <div className={`overlay-row${isTerminal(run.progress.state) ? '' : ' canary'}`} data-testid="panel-canary">
          <div className="head">
            <span className={`chip${isTerminal(run.progress.state) ? '' : ' canary'}`}>
              {CANARY_GLYPH} {isTerminal(run.progress.state) ? `last canary · ${STATE_LABELS[run.progress.state].toLowerCase()}` : canaryText(run.progress.state, run.progress.weight)}
            </span>
            <a href={canaryHref(run.id)} data-testid="open-canary">Open run →</a>
          </div>
          <div className="muted">{run.spec.target.kind} {run.spec.target.namespace}/{run.spec.target.name} · {run.spec.target.stable} → {run.spec.target.canary}{run.progress.message ? ` · ${run.progress.message}` : ''}</div>
        </div>
      ) : null}
      {lag.map((b) => (
        <div key={`${b.namespace}/${b.service}/${b.connectionId}`} className={`overlay-row lag-${b.level}`} data-testid="panel-lag">
          <div className="head">
            <span className={`chip ${LAG_CHIP[b.level]}`}>{LAG_GLYPH} {lagText(b)}</span>
            <a href={projectionsHref(b.connectionId)} data-testid="open-projections">Projections →</a>
          </div>
          <div>{b.text}{b.laggard && !b.text.includes(b.laggard) ? <> · laggard <strong>{b.laggard}</strong></> : null}</div>
          {b.error ? <div className="muted" title={b.error}>{b.error}</div> : null}
          <div className="muted">event store {b.connectionId}, owned by {b.namespace}/{b.service}</div>
        </div>
      ))}
    </>
  );
}

const LAG_CHIP: Record<LagBadge['level'], string> = { ok: 'ok', warn: 'warn', bad: 'bad', unknown: '' };

function TrafficTable({ title, rows, onSelect }: { title: string; rows: { peer: string; peerName: string; peerNamespace: string; protocol: string; rate: number; errorPct: number; p95: number | null; mtlsPct: number | null }[]; onSelect(id: string): void }) {
  return (
    <>
      <h3>{title}</h3>
      {rows.length === 0 ? <div className="muted small">None</div> : (
        <table className="table compact" data-testid={`table-${title.toLowerCase()}`}>
          <thead><tr><th>{title === 'Inbound' ? 'From' : 'To'}</th><th>Rate</th><th>Err</th><th>p95</th><th>mTLS</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.peer + r.protocol} onClick={() => onSelect(r.peer)} className="clickable">
                <td title={r.peer}>{r.peerNamespace && r.peerNamespace !== 'unknown' ? <span className="muted">{r.peerNamespace}/</span> : null}{r.peerName}</td>
                <td>{r.protocol === 'tcp' ? fmtBytes(r.rate) : `${fmtRate(r.rate)}`}</td>
                <td>{r.protocol === 'tcp' ? '–' : `${fmtPct(r.errorPct)}%`}</td>
                <td>{fmtMs(r.p95)}</td>
                <td>{r.mtlsPct === null ? '–' : `${fmtPct(r.mtlsPct)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
