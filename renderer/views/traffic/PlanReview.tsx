import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { InputOf } from '../../../shared/contract';
import type { ApplyResult, PlanView } from '../../../shared/traffic/model';
import { ErrorBox, Loading } from '../../components/States';
import { UnifiedDiff, YamlDiff } from '../../components/YamlDiff';
import { OUTCOME } from './labels';

type PlanRequest = InputOf<'traffic.plan'>;

export function ResultBox({ result, onUndo, onRecheck, rechecking }: { result: ApplyResult; onUndo?: () => void; onRecheck?: () => void; rechecking?: boolean }) {
  const o = OUTCOME[result.outcome];
  return (
    <div className={`result-box ${o.tone}`} role="status" data-testid="apply-result" data-outcome={result.outcome}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <strong>
          <span className={`chip ${o.tone}`}>{o.label}</span>{' '}
          {result.outcome === 'landed' ? 'The change is live.' : result.outcome === 'conflict' ? 'Someone changed this object since you reviewed it.' : result.outcome === 'forbidden' ? 'Your Kubernetes user may not make this change.' : result.outcome === 'unknown' ? 'It is not known whether the change landed.' : result.outcome === 'failed' ? 'The change did not land.' : 'Nothing needed changing.'}
        </strong>
        <div className="row">
          {result.outcome === 'unknown' && onRecheck ? <button className="btn small" onClick={onRecheck} disabled={rechecking} data-testid="recheck-button">{rechecking ? 'Re-checking…' : 'Re-check'}</button> : null}
          {result.outcome === 'landed' && onUndo ? <button className="btn small" onClick={onUndo} data-testid="undo-button">↶ Undo</button> : null}
        </div>
      </div>
      <div className="result-message">{result.message}</div>
      {result.error?.details?.verb && result.outcome === 'forbidden' ? (
        <div className="small">
          Not allowed: <code>{String(result.error.details.verb)}</code> on <code>{String(result.error.details.resource ?? '')}</code>. Ask for RBAC that grants it, or use a context that has it.
        </div>
      ) : null}
      {result.writes.some((w) => w.reapplied) ? <div className="small muted">The object had changed elsewhere; the same change still applied cleanly, so it was re-applied on the newer version.</div> : null}
      {result.conflictDiff ? (
        <details open>
          <summary className="small">What changed since you reviewed it</summary>
          <UnifiedDiff text={result.conflictDiff} />
        </details>
      ) : null}
    </div>
  );
}

export function PlanReview({ request, undoOf, onDone, onClose }: { request?: PlanRequest; undoOf?: string; onDone(): void; onClose(): void }) {
  const client = useClient();
  const qc = useQueryClient();
  const [undoing, setUndoing] = useState<string | null>(undoOf ?? null);
  const [confirm, setConfirm] = useState(false);
  const [result, setResult] = useState<ApplyResult | null>(null);

  const plan = useQuery<PlanView>({
    queryKey: undoing ? ['traffic.planUndo', undoing] : ['traffic.plan', request],
    queryFn: ({ signal }) => (undoing ? client.invoke('traffic.planUndo', { auditId: undoing }, { signal }) : client.invoke('traffic.plan', request!, { signal })),
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
  });

  const apply = useMutation({
    mutationFn: (p: PlanView) => client.invoke('traffic.apply', { planId: p.planId, confirmOwnership: confirm }),
    onSuccess: (r) => {
      setResult(r);
      onDone();
      void qc.invalidateQueries({ queryKey: ['traffic.list'] });
      void qc.invalidateQueries({ queryKey: ['traffic.audit'] });
    },
  });
  const recheck = useMutation({
    mutationFn: (auditId: string) => client.invoke('traffic.verify', { auditId }),
    onSuccess: (r) => {
      setResult(r);
      onDone();
      void qc.invalidateQueries({ queryKey: ['traffic.audit'] });
    },
  });

  const p = plan.data;
  const reviewAgain = () => {
    setResult(null);
    apply.reset();
    void plan.refetch();
  };

  return (
    <div className="card plan-review" data-testid="plan-review">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 style={{ margin: 0 }}>{undoing ? 'Undo' : 'Review'}: {p?.summary ?? '…'}</h2>
        <button className="btn small" onClick={onClose} aria-label="Close the review">✕</button>
      </div>
      {plan.isLoading ? <Loading label="Reading the object fresh and computing the patch…" /> : null}
      {plan.error ? <ErrorBox error={plan.error} title="Could not plan the change" onRetry={() => void plan.refetch()} /> : null}
      {p ? (
        <>
          {p.issues.length ? (
            <div className="error-box" role="alert" data-testid="plan-issues">
              <strong>{undoing ? 'This cannot be undone cleanly' : 'This change is not valid'}</strong>
              {p.issues.map((i) => (
                <div key={i.field + i.message}>
                  <code>{i.field}</code>: <span style={{ whiteSpace: 'pre-wrap' }}>{i.message.split('\n')[0]}</span>
                </div>
              ))}
              {p.issues.some((i) => i.message.includes('\n')) ? <UnifiedDiff text={p.issues.map((i) => i.message.split('\n').slice(1).join('\n')).join('\n')} /> : null}
            </div>
          ) : null}
          {!p.issues.length && p.writes.length === 0 ? <div className="note">Nothing to change: the object already has this state.</div> : null}
          {p.writes.map((w) => (
            <div key={`${w.object.kind}/${w.object.name}`} className="plan-write">
              <div className="small muted">
                {w.action === 'create' ? 'Create' : 'Patch'} <strong>{w.object.kind} {w.object.namespace}/{w.object.name}</strong>
                {w.resourceVersion ? <> · guarded by resourceVersion <span className="mono">{w.resourceVersion}</span></> : null}
              </div>
              <YamlDiff before={w.beforeYaml} after={w.afterYaml} title={`${w.object.kind}/${w.object.name}`} />
              {w.patch.length ? (
                <details className="small">
                  <summary>JSON patch ({w.patch.filter((o) => o.op === 'test').length} tests, {w.patch.filter((o) => o.op !== 'test').length} changes)</summary>
                  <pre className="yaml-view">{JSON.stringify(w.patch, null, 2)}</pre>
                </details>
              ) : null}
            </div>
          ))}
          {p.owners.length && !result ? (
            <label className="owner-confirm" data-testid="confirm-ownership-label">
              <input type="checkbox" checked={confirm} onChange={(e) => setConfirm(e.target.checked)} data-testid="confirm-ownership" />
              <span>
                I understand that {p.owners.map((o) => o.controller).join(' and ')} manage{p.owners.length === 1 ? 's' : ''} this object
                {p.owners.some((o) => o.reverts) ? ' and will revert this change' : ' and may overwrite this change'}.
              </span>
            </label>
          ) : null}
          {!result ? (
            <div className="editor-footer row">
              <span className="muted small">Nothing is sent until you apply. Plans expire at {new Date(p.expiresAt).toLocaleTimeString()}.</span>
              <div className="spacer" />
              <button className="btn" onClick={onClose}>Cancel</button>
              <button
                className="btn primary"
                data-testid="apply-button"
                disabled={!p.applicable || apply.isPending || (p.owners.length > 0 && !confirm)}
                onClick={() => apply.mutate(p)}
              >
                {apply.isPending ? 'Applying…' : undoing ? 'Apply undo' : 'Apply'}
              </button>
            </div>
          ) : null}
          {apply.error ? <ErrorBox error={apply.error} title="Not applied" onRetry={reviewAgain} /> : null}
          {result ? (
            <>
              <ResultBox
                result={result}
                onUndo={() => {
                  setResult(null);
                  setConfirm(false);
                  apply.reset();
                  setUndoing(result.auditId);
                }}
                onRecheck={() => recheck.mutate(result.auditId)}
                rechecking={recheck.isPending}
              />
              {result.outcome === 'conflict' || result.outcome === 'failed' ? (
                <button className="btn small" style={{ marginTop: 8 }} onClick={reviewAgain}>Review again on the current version</button>
              ) : null}
              {recheck.error ? <ErrorBox error={recheck.error} title="Re-check failed" /> : null}
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
