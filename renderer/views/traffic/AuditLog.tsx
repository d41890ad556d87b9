import { Fragment, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { UnifiedDiff } from '../../components/YamlDiff';
import { PlanReview } from './PlanReview';
import { OUTCOME } from './labels';
import { downloadBlob } from '../../components/download';

const download = (filename: string, mime: string, content: string) => downloadBlob(new Blob([content], { type: mime }), filename);

/** Every change made from this app, newest first: who, where, what (diff), result; undo and export. */
export function AuditLog({ contextId }: { contextId?: string }) {
  const client = useClient();
  const [all, setAll] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [undo, setUndo] = useState<string | null>(null);
  const audit = useQuery({
    queryKey: ['traffic.audit', all ? null : (contextId ?? null)],
    queryFn: ({ signal }) => client.invoke('traffic.audit', { ...(all || !contextId ? {} : { contextId }), limit: 500 }, { signal }),
  });
  const exp = useMutation({
    mutationFn: (format: 'jsonl' | 'csv') => client.invoke('traffic.exportAudit', { format }),
    onSuccess: (f) => download(f.filename, f.mime, f.content),
  });
  return (
    <div className="card" data-testid="audit-log">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 style={{ margin: 0 }}>Audit log</h2>
        <div className="row">
          {contextId ? <label className="small row"><input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> all contexts</label> : null}
          <button className="btn small" onClick={() => exp.mutate('jsonl')} disabled={exp.isPending} data-testid="export-jsonl">Export JSON lines</button>
          <button className="btn small" onClick={() => exp.mutate('csv')} disabled={exp.isPending}>Export CSV</button>
        </div>
      </div>
      <p className="muted small">Kept on this machine in the app's data folder (audit.log). Every apply is recorded, including refused and conflicting ones.</p>
      {exp.error ? <ErrorBox error={exp.error} title="Export failed" /> : null}
      {audit.isLoading ? <Loading /> : null}
      {audit.error ? <ErrorBox error={audit.error} onRetry={() => void audit.refetch()} /> : null}
      {audit.data && audit.data.length === 0 ? <Empty title="No changes yet">Changes applied from the Traffic view appear here.</Empty> : null}
      {audit.data && audit.data.length > 0 ? (
        <table className="table audit-table">
          <thead>
            <tr><th>Time</th><th>Context · user</th><th>Change</th><th>Objects</th><th>Result</th><th /></tr>
          </thead>
          <tbody>
            {audit.data.map((e) => {
              const o = OUTCOME[e.outcome];
              return (
                <Fragment key={e.id}>
                  <tr data-testid="audit-row">
                    <td className="small mono" title={e.time}>{new Date(e.time).toLocaleString()}</td>
                    <td className="small">{e.contextName}<div className="muted">{e.user}</div></td>
                    <td>{e.summary}{e.undoOf ? <span className="chip" style={{ marginLeft: 6 }}>undo</span> : null}</td>
                    <td className="small mono">{e.objects.join(', ')}</td>
                    <td><span className={`chip ${o.tone}`} title={e.message}>{o.label}</span></td>
                    <td>
                      <div className="row" style={{ flexWrap: 'nowrap', gap: 6 }}>
                        {e.diff ? <button className="btn small" onClick={() => setOpen(open === e.id ? null : e.id)}>{open === e.id ? 'Hide' : 'Diff'}</button> : null}
                        {e.outcome === 'landed' && !e.summary.startsWith('re-check') ? <button className="btn small" onClick={() => setUndo(e.id)}>Undo</button> : null}
                      </div>
                    </td>
                  </tr>
                  {open === e.id ? (
                    <tr><td colSpan={6}><div className="small" style={{ marginBottom: 6 }}>{e.message}</div><UnifiedDiff text={e.diff} /></td></tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {undo ? <PlanReview key={undo} undoOf={undo} onDone={() => void audit.refetch()} onClose={() => setUndo(null)} /> : null}
    </div>
  );
}
