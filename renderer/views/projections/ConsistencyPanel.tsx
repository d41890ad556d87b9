import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { fmtCount } from './format';

const METHOD: Record<string, string> = { full: 'every row', 'random-keys': 'random rows', tablesample: 'block sample (TABLESAMPLE SYSTEM)' };

/** Consistency checks: a read model against its events, sampled on big stores; mismatches listed. */
export function ConsistencyPanel({ connectionId }: { connectionId: string }) {
  const client = useClient();
  const checks = useQuery({ queryKey: ['projections.consistencyChecks', connectionId], queryFn: ({ signal }) => client.invoke('projections.consistencyChecks', { connectionId }, { signal }) });
  const [checkId, setCheckId] = useState<string>('');
  const [sampleSize, setSampleSize] = useState(2000);
  const run = useMutation({ mutationFn: (v: { checkId: string; sampleSize: number }) => client.invoke('projections.consistency', { connectionId, ...v }) });
  const chosen = checkId || checks.data?.[0]?.id || '';
  const r = run.data;
  return (
    <section className="card" aria-label="Consistency" data-testid="consistency">
      <div className="row"><h2>Consistency</h2></div>
      {checks.isPending ? <Loading /> : checks.error ? <ErrorBox error={checks.error} onRetry={() => void checks.refetch()} /> : checks.data.length === 0 ? (
        <Empty title="No check for this store">meshdeck compares read models (tables named *_read_model with a stream_id column) and saga state with their events.</Empty>
      ) : (
        <>
          <div className="row">
            <select className="input pj-grow" aria-label="Check" value={chosen} onChange={(e) => setCheckId(e.target.value)}>
              {checks.data.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
            </select>
            <label className="row pj-small muted">sample
              <input className="input pj-w80" type="number" min={10} max={100000} aria-label="Sample size" value={sampleSize} onChange={(e) => setSampleSize(Math.max(10, Math.min(100_000, Number(e.target.value) || 10)))} />
            </label>
            <button className="btn primary" onClick={() => run.mutate({ checkId: chosen, sampleSize })} disabled={run.isPending || !chosen}>{run.isPending ? 'Checking…' : 'Run check'}</button>
          </div>
          <div className="muted pj-small">{checks.data.find((c) => c.id === chosen)?.description}</div>
          {run.error ? <ErrorBox error={run.error} title="The check failed" /> : null}
          {r ? (
            <div data-testid="consistency-result" className="pj-result">
              <div className="row">
                <span className={`chip ${r.mismatchCount ? 'bad' : 'ok'}`}>{r.mismatchCount ? `${fmtCount(r.mismatchCount)} mismatch${r.mismatchCount === 1 ? '' : 'es'}` : 'consistent'}</span>
                <span className="pj-small" data-testid="sample-size">compared <b>{fmtCount(r.sampled)}</b> of {r.populationExact ? '' : '≈'}{fmtCount(r.population)} rows ({METHOD[r.method] ?? r.method})</span>
                {r.skippedInLag ? <span className="chip">{fmtCount(r.skippedInLag)} in lag, skipped</span> : null}
                <span className="muted pj-small">{r.tookMs} ms{r.checkpoint ? ` · up to checkpoint ${r.checkpoint}` : ''}</span>
              </div>
              {r.notes.map((n) => <div key={n} className="muted pj-small">Note: {n}</div>)}
              {r.mismatches.length ? (
                <div className="pj-mismatch-wrap">
                  <table className="table pj-small">
                    <thead><tr><th>Kind</th><th>Key</th><th>Expected</th><th>Actual</th><th>From event</th></tr></thead>
                    <tbody>{r.mismatches.map((m) => (
                      <tr key={`${m.kind}:${m.key}`}>
                        <td><span className="chip bad">{m.kind}</span></td>
                        <td className="mono pj-break" title={m.streamId ? `stream ${m.streamId}` : undefined}>{m.key}</td>
                        <td className="mono">{m.expected ?? '—'}</td>
                        <td className="mono">{m.actual ?? '—'}</td>
                        <td className="mono muted">{m.eventType ? `${m.eventType} #${m.position}` : m.position ? `#${m.position}` : '—'}</td>
                      </tr>
                    ))}</tbody>
                  </table>
                </div>
              ) : null}
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}
