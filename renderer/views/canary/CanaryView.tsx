import { useRoute } from '../../app/router';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { isTerminal } from '../../../shared/canary/types';
import type { CanaryRun } from '../../../shared/canary/types';
import { STATE_LABELS } from '../../../shared/canary/format';
import { useCanaryRuns } from './useCanaryRuns';
import { NewRunForm } from './NewRunForm';
import { RunPage } from './RunPage';
import './canary.css';

/** Canary: the runs list, a run's page (`?run=<id>`), and the form for a new run (`?new=1`). */
export default function CanaryView() {
  const route = useRoute();
  const { runs, error } = useCanaryRuns();
  const runId = route.params.get('run');
  const creating = route.params.get('new') === '1';

  let body;
  if (creating) body = <NewRunForm onStarted={(id) => route.navigate('canary', { run: id })} onCancel={() => route.navigate('canary')} />;
  else if (error && !runs) body = <ErrorBox error={error} title="Could not load canary runs" />;
  else if (!runs) body = <Loading label="Looking for canary runs on the connected clusters…" />;
  else if (runId) {
    const run = runs.get(runId);
    body = run ? <RunPage run={run} /> : <Empty title="This run is not on any connected cluster">Connect its cluster on the Clusters page, or <a href="#/canary">go back to the list</a>.</Empty>;
  } else body = <RunList runs={[...runs.values()]} onOpen={(id) => route.navigate('canary', { run: id })} />;

  return (
    <div className="page canary">
      <div className="toolbar">
        <div>
          <h1>{creating ? 'New canary' : runId ? 'Canary run' : 'Canary'}</h1>
          <p className="sub" style={{ margin: 0 }}>
            Step traffic to a new version, check it against Prometheus each interval, roll back on failure. The run lives on the routing object, so it survives a restart.
          </p>
        </div>
        <div className="spacer" />
        {runId || creating ? <a className="btn" href="#/canary">← All runs</a> : null}
        {!creating ? <a className="btn primary" href="#/canary?new=1" data-testid="new-canary">New canary</a> : null}
      </div>
      {body}
    </div>
  );
}

export function StateChip({ run }: { run: CanaryRun }) {
  const s = run.progress.state;
  return <span className={`chip state-chip ${s}`} data-testid="run-state">{STATE_LABELS[s]}</span>;
}

export function WeightBar({ canary, big }: { canary: number; big?: boolean }) {
  const c = Math.max(0, Math.min(100, canary));
  return (
    <span className={`weightbar${big ? ' big' : ''}`} title={`stable ${100 - c} % · canary ${c} %`} role="img" aria-label={`canary ${c} percent`}>
      <span className="s" style={{ width: `${100 - c}%` }} />
      <span className="c" style={{ width: `${c}%` }} />
    </span>
  );
}

function RunList({ runs, onOpen }: { runs: CanaryRun[]; onOpen: (id: string) => void }) {
  if (runs.length === 0) {
    return (
      <Empty title="No canary runs">
        <span>Runs appear here from every connected cluster — yours and your colleagues'.</span>
        <a className="btn primary" href="#/canary?new=1">Start a canary</a>
      </Empty>
    );
  }
  const sorted = [...runs].sort((a, b) => Date.parse(b.progress.updatedAt) - Date.parse(a.progress.updatedAt));
  return (
    <div className="card">
      <table className="table" data-testid="canary-runs">
        <thead>
          <tr><th>Service</th><th>Routing object</th><th>State</th><th>Step</th><th>Weight (set · actual)</th><th>Driven by</th><th>Cluster</th></tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.id} className="run-row" onClick={() => onOpen(r.id)} tabIndex={0} onKeyDown={(e) => { if (e.key === 'Enter') onOpen(r.id); }}>
              <td><strong>{r.spec.target.service}</strong> <span className="muted">{r.spec.target.namespace}</span></td>
              <td className="mono">{r.spec.target.kind}/{r.spec.target.name}</td>
              <td><StateChip run={r} /></td>
              <td>{r.progress.stepIndex < 0 ? '—' : r.progress.stepIndex >= r.stepWeights.length ? 'promotion' : `${r.progress.stepIndex + 1} / ${r.stepWeights.length}`}</td>
              <td><div className="row"><WeightBar canary={r.progress.weight} /><span className="mono">{r.progress.weight} · {r.observed ? r.observed.canary : '?'}</span></div></td>
              <td>{isTerminal(r.progress.state) ? <span className="muted">finished</span> : r.drivenHere ? <span className="chip ok">this meshdeck</span> : r.progress.lease && !r.leaseExpired ? r.progress.lease.holderName : <span className="muted">nobody</span>}</td>
              <td className="muted">{r.contextName}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
