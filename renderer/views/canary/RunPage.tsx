import { useEffect, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { gateCheckName } from '../../../shared/canary/spec';
import { isTerminal } from '../../../shared/canary/types';
import type { CanaryRun, CheckResult, HistoryEntry, SeriesPoint } from '../../../shared/canary/types';
import { COMMANDS_BY_STATE, describeResult, formatDuration, formatRange, formatValue } from '../../../shared/canary/format';
import type { CanaryCommandName } from '../../../shared/canary/format';
import { useClient } from '../../app/ClientContext';
import { ErrorBox } from '../../components/States';
import { LineChart } from '../graph/Chart';
import { StateChip, WeightBar } from './CanaryView';
import { useGateStores } from './GatesFieldset';

const LABELS: Record<CanaryCommandName, string> = { pause: 'Pause', resume: 'Resume', promote: 'Promote now', abort: 'Abort', retry: 'Retry', approve: 'Approve' };
const CONFIRM: Partial<Record<CanaryCommandName, string>> = {
  promote: 'Send 100 % of the traffic to the canary now, skipping the remaining steps and checks?',
  abort: 'Abort the run and send 100 % of the traffic back to stable?',
};

function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '—');

export function RunPage({ run }: { run: CanaryRun }) {
  const client = useClient();
  const now = useNow();
  const p = run.progress;
  const t = run.spec.target;
  const cmd = useMutation({
    mutationFn: (c: CanaryCommandName | 'takeOver') => {
      const input = { id: run.id };
      switch (c) {
        case 'pause': return client.invoke('canary.pause', input);
        case 'resume': return client.invoke('canary.resume', input);
        case 'promote': return client.invoke('canary.promote', input);
        case 'abort': return client.invoke('canary.abort', input);
        case 'retry': return client.invoke('canary.retry', input);
        case 'approve': return client.invoke('canary.approve', input);
        case 'takeOver': return client.invoke('canary.takeOver', input);
      }
    },
  });
  const run1 = (c: CanaryCommandName) => {
    const q = CONFIRM[c];
    if (q && !window.confirm(q)) return;
    cmd.mutate(c);
  };
  const allowed = new Set(COMMANDS_BY_STATE[p.state]);
  const stopOnly = (c: CanaryCommandName) => c === 'abort' || c === 'pause';
  const dueIn = p.nextCheckAt ? Date.parse(p.nextCheckAt) - now : null;
  const stepLabel = p.stepIndex < 0 ? 'not started' : p.stepIndex >= run.stepWeights.length ? 'promotion' : `${p.stepIndex + 1} of ${run.stepWeights.length}`;

  return (
    <div data-testid="canary-run">
      {p.drift && p.state === 'paused' ? (
        <div className="banner warn" role="alert" data-testid="drift-banner">
          <strong>Someone else changed the weights — the run paused instead of fighting it.</strong>
          Expected {p.drift.expected.stable}/{p.drift.expected.canary}, found {p.drift.observed ? `${p.drift.observed.stable}/${p.drift.observed.canary}` : 'no stable/canary split'}
          {p.drift.by ? <> (last written by <code>{p.drift.by}</code>)</> : null} at {time(p.drift.at)}. Resume writes the run's weights back; Abort sends everything to stable.
        </div>
      ) : null}
      {p.state === 'rolledBack' && p.failure ? (
        <div className="banner bad" role="alert" data-testid="failure-banner">
          <strong>Rolled back to 100 % {t.stable} at {time(p.failure.at)} after {p.failedChecks} failed checks (threshold {run.spec.threshold}).</strong>
          <div className="check-row" style={{ marginTop: 6 }}>
            {p.failure.results.map((r) => <CheckPill key={r.check} r={r} />)}
          </div>
        </div>
      ) : null}
      {run.readOnly && p.lease ? (
        <div className="banner info" data-testid="lease-banner">
          <strong>Driven by {p.lease.holderName}</strong>
          Read-only here until their lease expires ({formatDuration(Date.parse(p.lease.renewedAt) + p.lease.ttlSec * 1000 - now)}). Anyone may still pause or abort.
        </div>
      ) : null}
      {run.lastError ? <div className="banner warn"><strong>The run could not reach the cluster at {time(run.lastError.at)} — it keeps trying.</strong>{run.lastError.code}: {run.lastError.message}</div> : null}
      {run.routingProblem ? <div className="banner warn"><strong>The route is not a clean stable/canary split.</strong>{run.routingProblem}</div> : null}

      <div className="card">
        <div className="run-head">
          <div>
            <h2 style={{ margin: 0, fontSize: 16 }}>{t.service} <span className="muted" style={{ fontWeight: 400 }}>in {t.namespace} · {t.kind}/{t.name} · {run.contextName}</span></h2>
            <div className="row" style={{ marginTop: 6 }}>
              <StateChip run={run} />
              <span data-testid="run-message">{p.message}</span>
            </div>
          </div>
          <div className="hint side">
            {isTerminal(p.state) ? <span className="chip">finished {time(p.finishedAt)}</span> : run.drivenHere ? <span className="chip ok">driven by this meshdeck</span> : p.lease && !run.leaseExpired ? <span className="chip">driven by {p.lease.holderName}</span> : <span className="chip warn">not driven</span>}
            <div style={{ marginTop: 4 }}>attempt {p.attempt} · started {time(p.startedAt)} by {p.startedBy}</div>
          </div>
        </div>
        <div style={{ marginTop: 12 }}>
          <div className="row" style={{ justifyContent: 'space-between', fontSize: 12 }}>
            <span>{t.stable} <strong>{100 - p.weight} %</strong></span>
            <span>{t.canary} <strong data-testid="canary-weight">{p.weight} %</strong></span>
          </div>
          <WeightBar canary={p.weight} big />
        </div>
        <div className="facts">
          <div className="fact"><div className="k">Step</div><div className="v">{stepLabel}</div></div>
          <div className="fact"><div className="k">Weight set · actual</div><div className="v">{p.weight} % · {run.observed ? `${run.observed.canary} %` : '?'}</div></div>
          <div className="fact"><div className="k">Failed checks</div><div className="v" style={{ color: p.failedChecks > 0 ? 'var(--bad)' : undefined }}>{p.failedChecks} / {run.spec.threshold}</div></div>
          <div className="fact"><div className="k">Next check</div><div className="v">{dueIn === null ? '—' : dueIn <= 0 ? 'now' : `in ${formatDuration(dueIn)}`}</div></div>
          <div className="fact"><div className="k">Interval · window</div><div className="v">{formatDuration(run.spec.intervalSec * 1000)} · {formatDuration(run.spec.analysis.windowSec * 1000)}</div></div>
          <div className="fact" title={run.spec.noData === 'hold' ? 'An interval without data holds the step and looks again.' : 'An interval without data counts as a failed check (as Flagger does).'}>
            <div className="k">No data</div><div className="v" data-testid="nodata-policy">{run.spec.noData === 'hold' ? 'hold the step' : 'counts as failure'}{p.heldChecks ? ` · held ${p.heldChecks}×` : ''}</div>
          </div>
        </div>
        {run.spec.analysis.gates.length ? <GatesSummary run={run} /> : null}
        <div className="controls">
          {(['approve', 'resume', 'pause', 'promote', 'abort', 'retry'] as const).map((c) => {
            const enabled = allowed.has(c) && (!run.readOnly || stopOnly(c)) && !cmd.isPending;
            if (!allowed.has(c)) return null;
            return (
              <button key={c} className={`btn${c === 'abort' ? ' danger' : c === 'approve' || c === 'resume' || c === 'retry' ? ' primary' : ''}`} disabled={!enabled} onClick={() => run1(c)} data-testid={`cmd-${c}`}>
                {LABELS[c]}
              </button>
            );
          })}
          {run.readOnly === false && !run.drivenHere && run.leaseExpired && p.lease && p.lease.holderName && ['progressing', 'awaitingApproval', 'waiting', 'promoting'].includes(p.state) ? (
            <button className="btn" onClick={() => cmd.mutate('takeOver')} disabled={cmd.isPending}>Take over from {p.lease.holderName}</button>
          ) : null}
          {cmd.isPending ? <span className="spinner" aria-label="working" /> : null}
        </div>
        {cmd.error ? <div style={{ marginTop: 10 }}><ErrorBox error={cmd.error} title="The command was refused" /></div> : null}
      </div>

      <div className="card" style={{ marginTop: 12 }}>
        <h2>Stable vs canary</h2>
        <LiveCharts run={run} />
      </div>
      <div className="two" style={{ marginTop: 12 }}>
        <div className="card">
          <h2>Steps</h2>
          <Timeline run={run} />
        </div>
        <div className="card">
          {p.lastResults ? (
            <>
              <h2>Latest checks <span className="muted" style={{ fontWeight: 400 }}>at {time(p.lastCheckAt)}</span></h2>
              <table className="table" data-testid="latest-checks">
                <thead><tr><th>Check</th><th>Value</th><th>Threshold</th><th>Result</th></tr></thead>
                <tbody>
                  {p.lastResults.map((r) => (
                    <tr key={r.check}>
                      <td>{r.check}{r.query ? <details className="q"><summary>PromQL</summary><code className="q">{r.query}</code></details> : null}</td>
                      <td className="mono">{formatValue(r.value, r.unit)}</td>
                      <td className="mono">{formatRange(r.threshold, r.unit)}</td>
                      <td><span className={`chip ${r.outcome === 'pass' ? 'ok' : r.outcome === 'fail' ? 'bad' : 'warn'}`}>{r.outcome === 'noData' ? 'no data' : r.outcome}</span>{r.message ? <div className="hint">{r.message}</div> : null}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            <>
              <h2>Latest checks</h2>
              <div className="hint">The first check runs one interval after the first step ({formatDuration(run.spec.intervalSec * 1000)}).</div>
            </>
          )}
        </div>
      </div>
    </div>
  );
}

/** The run's event-store gates as configured, with the connection's name (the checks carry only its id). */
function GatesSummary({ run }: { run: CanaryRun }) {
  const stores = useGateStores();
  const nameOf = (id: string) => stores.data?.find((c) => c.id === id)?.name ?? id;
  return (
    <div className="hint gates-summary" data-testid="run-gates">
      Event-store gates:{' '}
      {run.spec.analysis.gates.map((g) => (
        <span className="chip" key={gateCheckName(g)}>
          {g.kind === 'projectionLag'
            ? `${g.projection} lag ≤ ${g.maxLag.toLocaleString()} events`
            : `saga failures ≤ ${g.maxPercent} % over ${formatDuration(g.windowSec * 1000)}${g.minFinished > 1 ? ` (≥ ${g.minFinished} finished)` : ''}`}
          {' · '}{nameOf(g.connectionId)}
        </span>
      ))}
    </div>
  );
}

function CheckPill({ r }: { r: CheckResult }) {
  // Gates explain their value (e.g. "3 of 120 sagas failed"): keep that in the tooltip.
  const title = r.message && (r.outcome === 'pass' || r.outcome === 'fail') ? `${describeResult(r)} — ${r.message}` : describeResult(r);
  return (
    <span className={`check ${r.outcome}`} title={title} data-testid={`check-${r.check}`}>
      <span className="n">{r.check}</span>
      <span className="v">{formatValue(r.value, r.unit)}</span>
      <span className="n">{formatRange(r.threshold, r.unit)}</span>
    </span>
  );
}

function Timeline({ run }: { run: CanaryRun }) {
  const p = run.progress;
  const attemptStart = Date.parse(p.startedAt);
  const hist = p.history.filter((h) => Date.parse(h.at) >= attemptStart);
  const steps = [...run.stepWeights.map((w, i) => ({ i, w, label: `Step ${i + 1}` })), { i: run.stepWeights.length, w: 100, label: 'Promote' }];
  const failedRun = p.state === 'rolledBack' || p.state === 'aborted';
  return (
    <ol className="timeline" data-testid="timeline">
      {steps.map((s) => {
        const entries = hist.filter((h) => h.step === s.i);
        const started = entries.find((h) => h.kind === 'weights');
        const checks = entries.filter((h): h is HistoryEntry & { results: CheckResult[] } => h.kind === 'check' && !!h.results);
        const isCurrent = p.stepIndex === s.i && !failedRun && p.state !== 'succeeded';
        const done = p.stepIndex > s.i || (p.state === 'succeeded' && s.i <= p.stepIndex);
        const failed = failedRun && p.stepIndex === s.i;
        const needsApproval = s.i === run.stepWeights.length ? run.spec.approvals.beforePromotion : run.spec.approvals.beforeSteps.includes(s.i);
        return (
          <li key={s.i} data-testid={`step-${s.i}`}>
            <span className={`dot${done ? ' done' : ''}${isCurrent ? ' current' : ''}${failed ? ' failed' : ''}`} />
            <div>
              <div className="step-head">
                <span className="w">{s.label} · {s.w} %</span>
                {started ? <span className="muted">{time(started.at)}</span> : <span className="muted">{isTerminal(p.state) ? 'not reached' : needsApproval ? 'needs approval' : 'pending'}</span>}
                {isCurrent && p.state === 'awaitingApproval' && p.pendingStep === s.i + 1 ? <span className="chip warn">next step waits for approval</span> : null}
              </div>
              {checks.length ? (
                <div className="checks">
                  {checks.slice(-4).map((c) => (
                    <div className="check-row" key={c.at}>
                      <span className="muted mono check-time">{new Date(c.at).toLocaleTimeString()}</span>
                      <span className={`chip ${c.verdict === 'pass' ? 'ok' : c.verdict === 'fail' ? 'bad' : 'warn'}`}>{c.verdict === 'hold' ? 'held' : c.verdict}</span>
                      {c.results.map((r) => <CheckPill key={r.check} r={r} />)}
                    </div>
                  ))}
                  {checks.length > 4 ? <span className="hint">{checks.length - 4} earlier checks not shown</span> : null}
                </div>
              ) : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

const STABLE_COLOR = 'var(--idle)';
const CANARY_COLOR = 'var(--accent)';

function toSeries(name: string, pts: SeriesPoint[]) {
  return { name, points: pts.filter((x): x is { t: number; v: number } => x.v !== null) };
}

function LiveCharts({ run }: { run: CanaryRun }) {
  const client = useClient();
  const now = useNow(30_000);
  const minutes = Math.min(60, Math.max(3, Math.ceil((now - Date.parse(run.progress.startedAt)) / 60_000) + 1));
  const q = useQuery({
    queryKey: ['canary.series', run.id, minutes],
    queryFn: ({ signal }) => client.invoke('canary.series', { id: run.id, minutes }, { signal }),
    refetchInterval: 5000,
    placeholderData: (prev) => prev,
  });
  if (q.error) return <ErrorBox error={q.error} title="Could not load the charts" />;
  if (!q.data) return <div className="chart-empty muted">Loading charts…</div>;
  const d = q.data;
  const t = run.spec.target;
  return (
    <div data-testid="charts">
      <div className="legend"><span><i style={{ background: STABLE_COLOR }} />stable · {t.stable} ({run.spec.analysis.stableWorkload})</span><span><i style={{ background: CANARY_COLOR }} />canary · {t.canary} ({run.spec.analysis.canaryWorkload})</span></div>
      {d.error ? <div className="hint" style={{ marginBottom: 6 }}>Prometheus: {d.error}</div> : null}
      <div className="charts">
        <LineChart title="Success rate" unit="%" format={(v) => v.toFixed(v >= 99 ? 2 : 1)} yMax={100} lines={[{ series: toSeries('stable', d.stable.successRate), color: STABLE_COLOR }, { series: toSeries('canary', d.canary.successRate), color: CANARY_COLOR }]} />
        <LineChart title="p99 latency" unit="ms" format={(v) => v.toFixed(0)} lines={[{ series: toSeries('stable', d.stable.p99), color: STABLE_COLOR }, { series: toSeries('canary', d.canary.p99), color: CANARY_COLOR }]} />
        <LineChart title="Requests per second" unit="rps" format={(v) => v.toFixed(1)} lines={[{ series: toSeries('stable', d.stable.rps), color: STABLE_COLOR }, { series: toSeries('canary', d.canary.rps), color: CANARY_COLOR }]} />
      </div>
    </div>
  );
}
