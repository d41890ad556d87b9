import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { fmtCount, fmtDuration } from './format';

const STATUS_CLASS: Record<string, string> = { COMPLETED: 'ok', PROCESSING: 'warn', FAILED: 'bad' };

/** Idempotency keys: counts by status, PROCESSING keys older than N (requests that died mid-way), FAILED with results. */
export function IdempotencyPanel({ connectionId }: { connectionId: string }) {
  const client = useClient();
  const [older, setOlder] = useState(60);
  const q = useQuery({
    queryKey: ['projections.idempotency', connectionId, older],
    queryFn: ({ signal }) => client.invoke('projections.idempotency', { connectionId, processingOlderThanSec: older, limit: 50 }, { signal }),
    refetchInterval: 10_000,
  });
  return (
    <section className="card" aria-label="Idempotency keys" data-testid="idempotency">
      <div className="row"><h2>Idempotency keys</h2><div className="spacer" />
        <label className="row pj-small muted">PROCESSING older than
          <select className="input" aria-label="PROCESSING older than" value={older} onChange={(e) => setOlder(Number(e.target.value))}>
            {[10, 60, 300, 3600].map((s) => <option key={s} value={s}>{fmtDuration(s)}</option>)}
          </select>
        </label>
      </div>
      {q.isPending ? <Loading /> : q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : !q.data.table ? (
        <Empty title="No idempotency table">{q.data.notes[0]}</Empty>
      ) : (
        <>
          <div className="row pj-counts">
            {Object.entries(q.data.counts).map(([k, n]) => <span key={k} className={`chip ${STATUS_CLASS[k] ?? ''}`}>{k} {q.data.countsExact ? '' : '≈'}{fmtCount(n)}</span>)}
            <span className="muted pj-small">{q.data.table}</span>
          </div>
          {q.data.notes.map((n) => <div key={n} className="muted pj-small">Note: {n}</div>)}
          <h3 className="pj-h3">Stuck in PROCESSING <span className="muted">({fmtCount(q.data.stuckProcessingTotal)})</span></h3>
          {q.data.stuckProcessing.length === 0 ? <div className="muted pj-small">None older than {fmtDuration(older)}.</div> : (
            <table className="table pj-small"><thead><tr><th>Key</th><th>Age</th></tr></thead>
              <tbody>{q.data.stuckProcessing.slice(0, 10).map((k) => <tr key={k.key}><td className="mono pj-break">{k.key}</td><td>{fmtDuration(k.ageSeconds)}</td></tr>)}</tbody>
            </table>
          )}
          <h3 className="pj-h3">Failed</h3>
          {q.data.failed.length === 0 ? <div className="muted pj-small">No failed keys.</div> : (
            <table className="table pj-small"><thead><tr><th>Key</th><th>Result</th></tr></thead>
              <tbody>{q.data.failed.slice(0, 10).map((k) => <tr key={k.key}><td className="mono pj-break">{k.key}</td><td className="mono pj-break">{k.result ?? '—'}</td></tr>)}</tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
