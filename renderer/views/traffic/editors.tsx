import { useState } from 'react';
import type { ReactNode } from 'react';
import type { FaultSpec, Route, RoutingModel, StringMatchType, TrafficOp, ValidationIssue } from '../../../shared/traffic/model';
import { validateOp } from '../../../shared/traffic/validate';
import { evenWeights, rebalance, weightSum } from '../../../shared/traffic/weights';
import { colourIndex } from './colours';
import type { WeightRow } from '../../../shared/traffic/weights';

interface EditorProps {
  model: RoutingModel;
  route: Route;
  /** The route index to send with the op (undefined: the default route). */
  sel: number | undefined;
  onPlan(op: TrafficOp): void;
}

/** Messages for one field (or every field under it). */
function FieldIssues({ issues, field, exact = false }: { issues: ValidationIssue[]; field: string; exact?: boolean }) {
  const mine = issues.filter((i) => (exact ? i.field === field : i.field === field || i.field.startsWith(`${field}.`)));
  if (mine.length === 0) return null;
  return (
    <>
      {mine.map((i) => (
        <div key={i.field + i.message} className="field-error" role="alert" data-testid={`issue-${i.field}`}>{i.message}</div>
      ))}
    </>
  );
}

function Footer({ issues, op, onPlan, children, label = 'Review change' }: { issues: ValidationIssue[]; op: TrafficOp; onPlan(op: TrafficOp): void; children?: ReactNode; label?: string }) {
  return (
    <div className="editor-footer row">
      {children}
      <div className="spacer" />
      {issues.length ? <span className="field-error">{issues.length} problem{issues.length > 1 ? 's' : ''} to fix</span> : null}
      <button className="btn primary" data-testid="plan-button" disabled={issues.length > 0} onClick={() => onPlan(op)}>
        {label} →
      </button>
    </div>
  );
}

const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));

// ---------------------------------------------------------------- weights

export function WeightsEditor({ model, route, sel, onPlan }: EditorProps) {
  const sum100 = model.capabilities.weightsSumTo100;
  const [rows, setRows] = useState<WeightRow[]>(() => route.destinations.map((d) => ({ name: d.name, weight: d.effectiveWeight, locked: false })));
  const [text, setText] = useState<Record<string, string>>({});
  const addable = model.available.filter((a) => !rows.some((r) => r.name === a.name));
  const weights = Object.fromEntries(rows.map((r) => [r.name, r.weight]));
  const op: TrafficOp = { op: 'setWeights', weights, ...(sel !== undefined ? { route: sel } : {}) };
  const issues = validateOp(model, op);
  const total = weightSum(rows);
  const colour = colourIndex(model);
  const max = sum100 ? 100 : Math.max(100, ...rows.map((r) => r.weight));

  const setWeight = (name: string, v: number) => {
    setRows((rs) => (sum100 && Number.isFinite(v) ? rebalance(rs, name, v) : rs.map((r) => (r.name === name ? { ...r, weight: v } : r))));
  };

  return (
    <div className="editor" data-testid="weights-editor">
      <p className="muted small">
        {sum100
          ? 'Istio sends each request to one destination by weight: whole numbers that add up to 100. Moving one slider spreads the difference over the unlocked others.'
          : `${model.object.kind} weights are proportional: the share of each is its weight over the total.`}
      </p>
      <div className="weights">
        {rows.map((r) => {
          const share = total > 0 ? Math.round((r.weight / total) * 1000) / 10 : 0;
          return (
            <div key={r.name} className="weight-row">
              <span className="swatch" style={{ background: `var(--split-${colour(r.name)})` }} />
              <strong className="mono weight-name">{r.name}</strong>
              <input
                type="range"
                min={0}
                max={max}
                step={1}
                value={Number.isFinite(r.weight) ? r.weight : 0}
                disabled={r.locked}
                aria-label={`Weight of ${r.name}`}
                data-testid={`weight-slider-${r.name}`}
                onChange={(e) => {
                  setText((t) => ({ ...t, [r.name]: e.target.value }));
                  setWeight(r.name, Number(e.target.value));
                }}
              />
              <input
                className="input weight-number"
                inputMode="numeric"
                value={text[r.name] ?? String(r.weight)}
                disabled={r.locked}
                aria-label={`Weight of ${r.name} (number)`}
                data-testid={`weight-input-${r.name}`}
                onChange={(e) => setText((t) => ({ ...t, [r.name]: e.target.value }))}
                onBlur={(e) => {
                  setWeight(r.name, num(e.target.value));
                  setText((t) => {
                    const { [r.name]: _drop, ...rest } = t;
                    return rest;
                  });
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
                }}
              />
              {!sum100 ? <span className="muted small share">{share}%</span> : null}
              <label className="lock small" title="Locked rows keep their weight when you move the others">
                <input type="checkbox" checked={r.locked} onChange={(e) => setRows((rs) => rs.map((x) => (x.name === r.name ? { ...x, locked: e.target.checked } : x)))} /> lock
              </label>
              <div className="weight-issue"><FieldIssues issues={issues} field={`weights.${r.name}`} /></div>
            </div>
          );
        })}
      </div>
      <FieldIssues issues={issues} field="weights" exact />
      <FieldIssues issues={issues} field="route" />
      <div className="row small" style={{ marginTop: 8 }}>
        <span className={sum100 && total !== 100 ? 'field-error' : 'muted'} data-testid="weight-total">Total {total}{sum100 ? ' / 100' : ''}</span>
        <button className="btn small" onClick={() => setRows((rs) => { const w = evenWeights(rs.length, sum100 ? 100 : rs.length); return rs.map((r, i) => ({ ...r, weight: w[i] ?? 0 })); })}>Even split</button>
        {addable.length ? (
          <select className="input" value="" onChange={(e) => e.target.value && setRows((rs) => [...rs, { name: e.target.value, weight: 0, locked: false }])} aria-label="Add a destination">
            <option value="">+ Add destination…</option>
            {addable.map((a) => (
              <option key={a.name} value={a.name}>{a.name} — {a.detail}</option>
            ))}
          </select>
        ) : null}
      </div>
      <Footer issues={issues} op={op} onPlan={onPlan} />
    </div>
  );
}

// ---------------------------------------------------------------- blue-green

export function BlueGreenEditor({ model, route, sel, onPlan }: EditorProps) {
  const names = [...new Set([...route.destinations.map((d) => d.name), ...model.available.map((a) => a.name)])];
  const live = route.destinations.filter((d) => d.effectiveWeight > 0);
  const current = live.length === 1 ? live[0]!.name : null;
  const [to, setTo] = useState<string>(() => names.find((n) => n !== current) ?? names[0] ?? '');
  const op: TrafficOp = { op: 'switchBlueGreen', to, ...(sel !== undefined ? { route: sel } : {}) };
  const issues = validateOp(model, op);
  return (
    <div className="editor" data-testid="bluegreen-editor">
      <p className="muted small">All traffic of the route goes to one side in a single step. Switching back is the same step with the other side (or Undo).</p>
      <div className="bluegreen">
        {names.map((n) => (
          <label key={n} className={`bg-side ${to === n ? 'picked' : ''} ${current === n ? 'live' : ''}`}>
            <input type="radio" name="bg" checked={to === n} onChange={() => setTo(n)} data-testid={`bg-${n}`} />
            <strong className="mono">{n}</strong>
            <span className="small muted">{current === n ? 'serves all traffic now' : (route.destinations.find((d) => d.name === n)?.effectiveWeight ?? 0) > 0 ? 'serves part of the traffic' : 'idle'}</span>
          </label>
        ))}
      </div>
      <FieldIssues issues={issues} field="to" />
      <Footer issues={issues} op={op} onPlan={onPlan} label={`Switch to ${to || '…'}`} />
    </div>
  );
}

// ---------------------------------------------------------------- A/B

export function MatchEditor({ model, onPlan }: { model: RoutingModel; onPlan(op: TrafficOp): void }) {
  const dests = model.available.length ? model.available.map((a) => a.name) : (model.defaultRoute !== null ? model.routes[model.defaultRoute]!.destinations.map((d) => d.name) : []);
  const [kind, setKind] = useState<'header' | 'cookie'>('header');
  const [name, setName] = useState('x-canary');
  const [value, setValue] = useState('');
  const [matchType, setMatchType] = useState<StringMatchType>('exact');
  const [destination, setDestination] = useState(dests[dests.length - 1] ?? '');
  const [routeName, setRouteName] = useState('');
  const op: TrafficOp = {
    op: 'addHeaderMatchRoute',
    kind,
    name,
    value,
    destination,
    ...(kind === 'header' ? { matchType } : {}),
    ...(routeName ? { routeName } : {}),
  };
  const issues = validateOp(model, op);
  const removable = model.routes.filter((r) => !r.isDefault && r.matches.length > 0);
  return (
    <div className="editor" data-testid="ab-editor">
      <p className="muted small">
        Requests that match go to one destination; the rest keep the default weighted route. The new route is placed right before the default route
        {model.api === 'gateway-api' ? ' and keeps its path match (Gateway API ranks rules by path first)' : ''}.
      </p>
      <div className="form-grid">
        <label className="field">
          <span>Match on</span>
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as 'header' | 'cookie')} data-testid="ab-kind">
            <option value="header">Header</option>
            <option value="cookie">Cookie</option>
          </select>
        </label>
        <label className="field">
          <span>{kind === 'cookie' ? 'Cookie name' : 'Header name'}</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} data-testid="ab-name" />
          <FieldIssues issues={issues} field="name" />
        </label>
        {kind === 'header' ? (
          <label className="field">
            <span>Match</span>
            <select className="input" value={matchType} onChange={(e) => setMatchType(e.target.value as StringMatchType)}>
              <option value="exact">equals</option>
              {model.api !== 'gateway-api' ? <option value="prefix">starts with</option> : null}
              <option value="regex">regex</option>
            </select>
            <FieldIssues issues={issues} field="matchType" />
          </label>
        ) : null}
        <label className="field">
          <span>Value</span>
          <input className="input" value={value} onChange={(e) => setValue(e.target.value)} placeholder={kind === 'cookie' ? 'e.g. beta' : 'e.g. always'} data-testid="ab-value" />
          <FieldIssues issues={issues} field="value" />
        </label>
        <label className="field">
          <span>Send to</span>
          <select className="input" value={destination} onChange={(e) => setDestination(e.target.value)} data-testid="ab-destination">
            {dests.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
          <FieldIssues issues={issues} field="destination" />
        </label>
        <label className="field">
          <span>Route name (optional)</span>
          <input className="input" value={routeName} onChange={(e) => setRouteName(e.target.value)} placeholder="beta-testers" />
          <FieldIssues issues={issues} field="routeName" />
        </label>
      </div>
      <FieldIssues issues={issues} field="kind" />
      <Footer issues={issues} op={op} onPlan={onPlan} />
      {removable.length ? (
        <div className="remove-routes">
          <div className="muted small">Remove a match route:</div>
          {removable.map((r) => (
            <button key={r.index} className="btn small danger" onClick={() => onPlan({ op: 'removeRoute', route: r.index })}>
              Remove {r.name ?? `#${r.index}`}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------- fault

export function FaultEditor({ model, route, sel, onPlan }: EditorProps) {
  const [delayOn, setDelayOn] = useState(!!route.fault?.delay);
  const [fixedDelay, setFixedDelay] = useState(route.fault?.delay?.fixedDelay ?? '5s');
  const [delayPct, setDelayPct] = useState(String(route.fault?.delay?.percent ?? 100));
  const [abortOn, setAbortOn] = useState(!!route.fault?.abort);
  const [status, setStatus] = useState(String(route.fault?.abort?.httpStatus ?? 503));
  const [abortPct, setAbortPct] = useState(String(route.fault?.abort?.percent ?? 100));
  const fault: FaultSpec | null =
    delayOn || abortOn
      ? { delay: delayOn ? { fixedDelay, percent: num(delayPct) } : null, abort: abortOn ? { httpStatus: num(status), percent: num(abortPct) } : null }
      : null;
  const op: TrafficOp = { op: 'setFault', fault, ...(sel !== undefined ? { route: sel } : {}) };
  const issues = validateOp(model, op);
  return (
    <div className="editor" data-testid="fault-editor">
      <p className="muted small">Istio's proxies delay or fail a share of the requests of this route before they reach a destination. Turn both off to remove the fault.</p>
      <fieldset className="fault-box">
        <legend>
          <label><input type="checkbox" checked={delayOn} onChange={(e) => setDelayOn(e.target.checked)} data-testid="fault-delay-enabled" /> Delay</label>
        </legend>
        <div className="form-grid">
          <label className="field">
            <span>Fixed delay</span>
            <input className="input" value={fixedDelay} disabled={!delayOn} onChange={(e) => setFixedDelay(e.target.value)} placeholder="5s, 250ms" data-testid="fault-delay-duration" />
            <FieldIssues issues={issues} field="fault.delay.fixedDelay" />
          </label>
          <label className="field">
            <span>Of requests (%)</span>
            <input className="input" value={delayPct} disabled={!delayOn} onChange={(e) => setDelayPct(e.target.value)} inputMode="decimal" data-testid="fault-delay-percent" />
            <FieldIssues issues={issues} field="fault.delay.percent" />
          </label>
        </div>
      </fieldset>
      <fieldset className="fault-box">
        <legend>
          <label><input type="checkbox" checked={abortOn} onChange={(e) => setAbortOn(e.target.checked)} data-testid="fault-abort-enabled" /> Abort</label>
        </legend>
        <div className="form-grid">
          <label className="field">
            <span>HTTP status</span>
            <input className="input" value={status} disabled={!abortOn} onChange={(e) => setStatus(e.target.value)} inputMode="numeric" data-testid="fault-abort-status" />
            <FieldIssues issues={issues} field="fault.abort.httpStatus" />
          </label>
          <label className="field">
            <span>Of requests (%)</span>
            <input className="input" value={abortPct} disabled={!abortOn} onChange={(e) => setAbortPct(e.target.value)} inputMode="decimal" data-testid="fault-abort-percent" />
            <FieldIssues issues={issues} field="fault.abort.percent" />
          </label>
        </div>
      </fieldset>
      <FieldIssues issues={issues} field="fault" exact />
      <Footer issues={issues} op={op} onPlan={onPlan} />
    </div>
  );
}

// ---------------------------------------------------------------- mirror

export function MirrorEditor({ model, route, sel, onPlan }: EditorProps) {
  const names = [...new Set([...model.available.map((a) => a.name), ...route.destinations.map((d) => d.name)])];
  const [on, setOn] = useState(!!route.mirror);
  const [destination, setDestination] = useState(route.mirror?.destination ?? names[names.length - 1] ?? '');
  const [pct, setPct] = useState(String(route.mirror?.percent ?? 10));
  const op: TrafficOp = { op: 'setMirror', mirror: on ? { destination, percent: num(pct) } : null, ...(sel !== undefined ? { route: sel } : {}) };
  const issues = validateOp(model, op);
  return (
    <div className="editor" data-testid="mirror-editor">
      <p className="muted small">A copy of a share of the requests goes to the mirror too; its answers are thrown away (fire and forget).</p>
      <label className="row"><input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} /> Mirror traffic</label>
      <div className="form-grid">
        <label className="field">
          <span>Mirror to</span>
          <select className="input" value={destination} disabled={!on} onChange={(e) => setDestination(e.target.value)}>
            {names.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
          <FieldIssues issues={issues} field="mirror.destination" />
        </label>
        <label className="field">
          <span>Of requests (%)</span>
          <input className="input" value={pct} disabled={!on} onChange={(e) => setPct(e.target.value)} inputMode="decimal" />
          <FieldIssues issues={issues} field="mirror.percent" />
        </label>
      </div>
      <FieldIssues issues={issues} field="mirror" exact />
      <Footer issues={issues} op={op} onPlan={onPlan} />
    </div>
  );
}

// ---------------------------------------------------------------- timeout & retries

export function TimeoutRetriesEditor({ model, route, sel, onPlan }: EditorProps) {
  const [timeoutOn, setTimeoutOn] = useState(route.timeout !== null);
  const [timeout, setTimeoutText] = useState(route.timeout ?? '2s');
  const [retriesOn, setRetriesOn] = useState(route.retries !== null);
  const [attempts, setAttempts] = useState(String(route.retries?.attempts ?? 3));
  const [perTry, setPerTry] = useState(route.retries?.perTryTimeout ?? '');
  const [retryOn, setRetryOn] = useState(route.retries?.retryOn ?? '');
  const selPart = sel !== undefined ? { route: sel } : {};
  const tOp: TrafficOp = { op: 'setTimeout', timeout: timeoutOn ? timeout : null, ...selPart };
  const rOp: TrafficOp = { op: 'setRetries', retries: retriesOn ? { attempts: num(attempts), perTryTimeout: perTry.trim() || null, retryOn: retryOn.trim() || null } : null, ...selPart };
  const tIssues = validateOp(model, tOp);
  const rIssues = model.capabilities.retries ? validateOp(model, rOp) : [];
  return (
    <div className="editor" data-testid="timeouts-editor">
      <fieldset className="fault-box">
        <legend><label><input type="checkbox" checked={timeoutOn} onChange={(e) => setTimeoutOn(e.target.checked)} /> Request timeout</label></legend>
        <label className="field">
          <span>Timeout</span>
          <input className="input" value={timeout} disabled={!timeoutOn} onChange={(e) => setTimeoutText(e.target.value)} placeholder="2s" data-testid="timeout-input" />
          <FieldIssues issues={tIssues} field="timeout" />
        </label>
        <Footer issues={tIssues} op={tOp} onPlan={onPlan} label={timeoutOn ? 'Review timeout' : 'Review removing the timeout'} />
      </fieldset>
      {model.capabilities.retries ? (
        <fieldset className="fault-box">
          <legend><label><input type="checkbox" checked={retriesOn} onChange={(e) => setRetriesOn(e.target.checked)} /> Retries</label></legend>
          <div className="form-grid">
            <label className="field">
              <span>Attempts</span>
              <input className="input" value={attempts} disabled={!retriesOn} onChange={(e) => setAttempts(e.target.value)} inputMode="numeric" />
              <FieldIssues issues={rIssues} field="retries.attempts" />
            </label>
            <label className="field">
              <span>Per-try timeout</span>
              <input className="input" value={perTry} disabled={!retriesOn} onChange={(e) => setPerTry(e.target.value)} placeholder="(none)" />
              <FieldIssues issues={rIssues} field="retries.perTryTimeout" />
            </label>
            <label className="field">
              <span>Retry on</span>
              <input className="input" value={retryOn} disabled={!retriesOn} onChange={(e) => setRetryOn(e.target.value)} placeholder="5xx,gateway-error,connect-failure" />
              <FieldIssues issues={rIssues} field="retries.retryOn" />
            </label>
          </div>
          <Footer issues={rIssues} op={rOp} onPlan={onPlan} label={retriesOn ? 'Review retries' : 'Review removing retries'} />
        </fieldset>
      ) : (
        <p className="muted small">{model.object.kind} has no retry policy in its standard API.</p>
      )}
    </div>
  );
}
