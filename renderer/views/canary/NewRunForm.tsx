import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { CANARY_DEFAULTS, canarySpecSchema, stepWeights } from '../../../shared/canary/spec';
import type { CanarySpecInput } from '../../../shared/canary/spec';
import type { CanaryCandidate } from '../../../shared/canary/types';
import { formatDuration, STATE_LABELS } from '../../../shared/canary/format';
import { useClient } from '../../app/ClientContext';
import { Empty, ErrorBox, Loading, normalise } from '../../components/States';
import { EMPTY_GATES, GatesFieldset, gatesInput, useGateStores } from './GatesFieldset';
import type { GatesDraft } from './GatesFieldset';

const keyOf = (c: CanaryCandidate) => `${c.kind}/${c.namespace}/${c.name}`;

/** The form that defines a run: where, stable and canary, steps, interval, analysis, event-store gates, no-data policy, approvals. */
export function NewRunForm({ onStarted, onCancel }: { onStarted: (id: string) => void; onCancel: () => void }) {
  const client = useClient();
  const conns = useQuery({ queryKey: ['kube.connections'], queryFn: ({ signal }) => client.invoke('kube.connections', {}, { signal }) });
  const connected = (conns.data ?? []).filter((c) => c.status === 'connected');
  const [contextId, setContextId] = useState<string>('');
  const ctx = contextId || connected[0]?.contextId || '';
  const cands = useQuery({
    queryKey: ['canary.candidates', ctx],
    queryFn: ({ signal }) => client.invoke('canary.candidates', { contextId: ctx }, { signal }),
    enabled: !!ctx,
  });

  const [objKey, setObjKey] = useState('');
  const candidate = (cands.data ?? []).find((c) => keyOf(c) === objKey) ?? null;
  const [stable, setStable] = useState('');
  const [canary, setCanary] = useState('');
  const [stableWl, setStableWl] = useState('');
  const [canaryWl, setCanaryWl] = useState('');
  const [stepMode, setStepMode] = useState<'list' | 'linear'>('list');
  const [stepList, setStepList] = useState(CANARY_DEFAULTS.stepWeights.join(', '));
  const [stepWeight, setStepWeight] = useState(String(CANARY_DEFAULTS.stepWeight));
  const [maxWeight, setMaxWeight] = useState(String(CANARY_DEFAULTS.maxWeight));
  const [interval, setIntervalSec] = useState(String(CANARY_DEFAULTS.intervalSec));
  const [threshold, setThreshold] = useState(String(CANARY_DEFAULTS.threshold));
  const [window, setWindowSec] = useState(String(CANARY_DEFAULTS.windowSec));
  const [useSr, setUseSr] = useState(true);
  const [srMin, setSrMin] = useState(String(CANARY_DEFAULTS.successRateMin));
  const [useP99, setUseP99] = useState(true);
  const [p99Max, setP99Max] = useState(String(CANARY_DEFAULTS.latencyP99MaxMs));
  const [minReq, setMinReq] = useState('0');
  const [noData, setNoData] = useState<'fail' | 'hold'>('fail');
  const [approvalSteps, setApprovalSteps] = useState<number[]>([]);
  const [approvePromotion, setApprovePromotion] = useState(false);
  const [custom, setCustom] = useState({ on: false, name: '', query: '', min: '', max: '' });
  const [gates, setGates] = useState<GatesDraft>(EMPTY_GATES);
  const stores = useGateStores();
  const gateConn = (stores.data ?? []).some((c) => c.id === gates.connectionId) ? gates.connectionId : stores.data?.[0]?.id ?? '';

  const pick = (c: CanaryCandidate | null) => {
    setObjKey(c ? keyOf(c) : '');
    const ds = c?.destinations ?? [];
    // The destination with the most traffic is most likely the stable one.
    const sorted = [...ds].sort((a, b) => b.weight - a.weight);
    const s = sorted[0];
    const k = sorted.find((d) => d.name !== s?.name);
    setStable(s?.name ?? '');
    setCanary(k?.name ?? '');
    setStableWl(s?.workload ?? '');
    setCanaryWl(k?.workload ?? '');
  };

  const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
  const specInput: CanarySpecInput | null = candidate
    ? {
        target: { kind: candidate.kind, namespace: candidate.namespace, name: candidate.name, service: candidate.service, stable, canary },
        steps: stepMode === 'list' ? { kind: 'list', weights: stepList.split(/[\s,]+/).filter(Boolean).map(Number) } : { kind: 'linear', stepWeight: num(stepWeight), maxWeight: num(maxWeight) },
        intervalSec: num(interval),
        threshold: num(threshold),
        noData,
        approvals: { beforeSteps: approvalSteps, beforePromotion: approvePromotion },
        analysis: {
          provider: candidate.kind === 'TrafficSplit' ? 'linkerd' : 'istio',
          stableWorkload: stableWl,
          canaryWorkload: canaryWl,
          windowSec: num(window),
          successRateMin: useSr ? num(srMin) : null,
          latencyP99MaxMs: useP99 ? num(p99Max) : null,
          minRequests: num(minReq),
          custom: custom.on
            ? [{ name: custom.name, query: custom.query, thresholdRange: { ...(custom.min !== '' ? { min: num(custom.min) } : {}), ...(custom.max !== '' ? { max: num(custom.max) } : {}) } }]
            : [],
          gates: gatesInput(gates, gateConn),
        },
      }
    : null;
  const parsed = specInput ? canarySpecSchema.safeParse(specInput) : null;
  const issues = parsed && !parsed.success ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) : [];
  // Gate issues are shown next to their fields: analysis.gates.<i>.<field> → "<i>.<field>".
  const gateIssues: Record<string, string> = {};
  for (const i of parsed && !parsed.success ? parsed.error.issues : []) {
    if (i.path[0] === 'analysis' && i.path[1] === 'gates' && i.path.length > 2) gateIssues[i.path.slice(2).join('.')] ??= i.message;
  }
  const steps = parsed?.success ? stepWeights(parsed.data.steps) : [];

  const start = useMutation({
    mutationFn: () => {
      if (!parsed?.success) throw new Error('The form has errors.');
      return client.invoke('canary.start', { contextId: ctx, spec: specInput as CanarySpecInput });
    },
    onSuccess: (run) => onStarted(run.id),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };

  if (conns.isLoading) return <Loading label="Reading connections…" />;
  if (conns.error) return <ErrorBox error={conns.error} title="Could not read the connections" />;
  if (connected.length === 0) return <Empty title="No connected cluster"><a href="#/connect">Connect a cluster first</a></Empty>;

  const destinations = candidate?.destinations ?? [];
  const workloads = candidate?.workloads ?? [];
  const startErr = start.error ? normalise(start.error) : null;

  return (
    <form className="card" onSubmit={submit} data-testid="canary-form">
      <fieldset>
        <legend>Where</legend>
        <div className="form-grid">
          <label className="field">Cluster
            <select className="input" value={ctx} onChange={(e) => { setContextId(e.target.value); pick(null); }}>
              {connected.map((c) => <option key={c.contextId} value={c.contextId}>{c.contextName}</option>)}
            </select>
          </label>
          <label className="field">Service (routing object)
            <select className="input" value={objKey} onChange={(e) => pick((cands.data ?? []).find((c) => keyOf(c) === e.target.value) ?? null)} data-testid="pick-object" disabled={!cands.data}>
              <option value="">{cands.isLoading ? 'Loading…' : 'Pick a service…'}</option>
              {(cands.data ?? []).map((c) => (
                <option key={keyOf(c)} value={keyOf(c)} disabled={!!c.blocked || (c.runState !== null && !['succeeded', 'rolledBack', 'aborted'].includes(c.runState))}>
                  {c.namespace}/{c.service} — {c.kind} {c.name}{c.blocked ? ` (${c.blocked})` : c.runState ? ` (run ${STATE_LABELS[c.runState].toLowerCase()})` : ''}
                </option>
              ))}
            </select>
          </label>
        </div>
        {cands.error ? <ErrorBox error={cands.error} title="Could not list routing objects" /> : null}
        {candidate ? (
          <div className="form-grid" style={{ marginTop: 12 }}>
            <label className="field">Stable destination
              <select className="input" value={stable} onChange={(e) => { setStable(e.target.value); setStableWl(destinations.find((d) => d.name === e.target.value)?.workload ?? stableWl); }} data-testid="pick-stable">
                {destinations.map((d) => <option key={d.name} value={d.name}>{d.name} ({d.weight} %)</option>)}
              </select>
            </label>
            <label className="field">Canary destination
              <select className="input" value={canary} onChange={(e) => { setCanary(e.target.value); setCanaryWl(destinations.find((d) => d.name === e.target.value)?.workload ?? canaryWl); }} data-testid="pick-canary">
                {destinations.map((d) => <option key={d.name} value={d.name}>{d.name} ({d.weight} %)</option>)}
              </select>
            </label>
            <label className="field">Stable workload (metrics)
              <select className="input" value={stableWl} onChange={(e) => setStableWl(e.target.value)}>
                <option value="">—</option>
                {workloads.map((w) => <option key={w} value={w}>{w}</option>)}
              </select>
            </label>
            <label className="field">Canary workload (metrics)
              <select className="input" value={canaryWl} onChange={(e) => setCanaryWl(e.target.value)} data-testid="pick-canary-workload">
                <option value="">—</option>
                {workloads.map((w) => <option key={w} value={w}>{w}</option>)}
              </select>
            </label>
          </div>
        ) : null}
      </fieldset>

      <fieldset>
        <legend>Steps</legend>
        <div className="row" style={{ marginBottom: 8 }}>
          <label className="radio"><input type="radio" checked={stepMode === 'list'} onChange={() => setStepMode('list')} /> Explicit weights</label>
          <label className="radio"><input type="radio" checked={stepMode === 'linear'} onChange={() => setStepMode('linear')} /> Step weight up to a max</label>
        </div>
        <div className="form-grid">
          {stepMode === 'list' ? (
            <label className="field">Canary weights, in %
              <input className="input" value={stepList} onChange={(e) => setStepList(e.target.value)} data-testid="steps" placeholder="10, 20, 30, 40, 50" />
            </label>
          ) : (
            <>
              <label className="field">Step weight %<input className="input" inputMode="numeric" value={stepWeight} onChange={(e) => setStepWeight(e.target.value)} /></label>
              <label className="field">Max weight %<input className="input" inputMode="numeric" value={maxWeight} onChange={(e) => setMaxWeight(e.target.value)} /></label>
            </>
          )}
          <label className="field">Interval (seconds)<input className="input" inputMode="numeric" value={interval} onChange={(e) => setIntervalSec(e.target.value)} data-testid="interval" /></label>
          <label className="field">Rollback after failed checks<input className="input" inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="threshold" /></label>
        </div>
        {steps.length ? (
          <div className="hint" style={{ marginTop: 8 }}>
            {steps.map((w) => `${w} %`).join(' → ')} → promote. At least {formatDuration(steps.length * (num(interval) || 0) * 1000)} if every check passes; a rollback after {formatDuration((num(threshold) || 0) * (num(interval) || 0) * 1000)} of failures.
          </div>
        ) : null}
      </fieldset>

      <fieldset>
        <legend>Analysis (canary workload, every interval)</legend>
        <div className="form-grid">
          <label className="field"><span><input type="checkbox" checked={useSr} onChange={(e) => setUseSr(e.target.checked)} /> Success rate ≥ (%)</span>
            <input className="input" inputMode="decimal" value={srMin} disabled={!useSr} onChange={(e) => setSrMin(e.target.value)} data-testid="sr-min" />
          </label>
          <label className="field"><span><input type="checkbox" checked={useP99} onChange={(e) => setUseP99(e.target.checked)} /> p99 latency ≤ (ms)</span>
            <input className="input" inputMode="decimal" value={p99Max} disabled={!useP99} onChange={(e) => setP99Max(e.target.value)} data-testid="p99-max" />
          </label>
          <label className="field">Minimum requests in the window<input className="input" inputMode="numeric" value={minReq} onChange={(e) => setMinReq(e.target.value)} data-testid="min-requests" /></label>
          <label className="field">Query window (seconds)<input className="input" inputMode="numeric" value={window} onChange={(e) => setWindowSec(e.target.value)} data-testid="window" /></label>
        </div>
        <div style={{ marginTop: 10 }}>
          <label className="radio"><input type="checkbox" checked={custom.on} onChange={(e) => setCustom({ ...custom, on: e.target.checked })} /> Custom PromQL check</label>
          {custom.on ? (
            <div className="form-grid" style={{ marginTop: 8 }}>
              <label className="field">Name<input className="input" value={custom.name} onChange={(e) => setCustom({ ...custom, name: e.target.value })} placeholder="error-budget" /></label>
              <label className="field" style={{ gridColumn: 'span 2' }}>Query ({'{{namespace}} {{canary}} {{stable}} {{service}} {{window}}'})
                <input className="input mono" value={custom.query} onChange={(e) => setCustom({ ...custom, query: e.target.value })} placeholder='sum(rate(http_errors_total{namespace="{{namespace}}"}[{{window}}]))' />
              </label>
              <label className="field">Min<input className="input" value={custom.min} onChange={(e) => setCustom({ ...custom, min: e.target.value })} /></label>
              <label className="field">Max<input className="input" value={custom.max} onChange={(e) => setCustom({ ...custom, max: e.target.value })} /></label>
            </div>
          ) : null}
        </div>
      </fieldset>

      <GatesFieldset draft={gates} onChange={setGates} connectionId={gateConn} stores={stores} issues={gateIssues} />

      <fieldset>
        <legend>When an interval has no data (no traffic, NaN, too few requests, Prometheus down)</legend>
        <label className="radio"><input type="radio" name="nodata" checked={noData === 'fail'} onChange={() => setNoData('fail')} /> Count it as a failed check (Flagger's behaviour)</label>
        <label className="radio" style={{ marginTop: 4 }}><input type="radio" name="nodata" checked={noData === 'hold'} onChange={() => setNoData('hold')} data-testid="nodata-hold" /> Hold the step and look again next interval</label>
      </fieldset>

      <fieldset>
        <legend>Approvals</legend>
        <div className="row">
          {steps.map((w, i) => (
            <label key={i} className="radio">
              <input type="checkbox" checked={approvalSteps.includes(i)} onChange={(e) => setApprovalSteps(e.target.checked ? [...approvalSteps, i].sort((a, b) => a - b) : approvalSteps.filter((x) => x !== i))} /> before {w} %
            </label>
          ))}
          <label className="radio"><input type="checkbox" checked={approvePromotion} onChange={(e) => setApprovePromotion(e.target.checked)} /> before promoting to 100 %</label>
        </div>
      </fieldset>

      {candidate && issues.length ? (
        <div className="field-error" data-testid="form-issues">{issues.slice(0, 4).map((i) => <div key={i}>{i}</div>)}</div>
      ) : null}
      {startErr ? <ErrorBox error={startErr} title="The run could not start" /> : null}
      <div className="row" style={{ marginTop: 12 }}>
        <button type="submit" className="btn primary" disabled={!parsed?.success || start.isPending} data-testid="start-canary">{start.isPending ? 'Starting…' : 'Start canary'}</button>
        <button type="button" className="btn" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
