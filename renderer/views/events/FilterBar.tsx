import { useState } from 'react';
import type { EventFilter, PageAnchor } from '../../../shared/contract/events';
import { localToIso } from './format';

/** Filters (type, time range, correlation/causation, JSON containment) and "jump to position or time". */
export function FilterBar({ filter, onFilter, onJump, inStream }: { filter: EventFilter; onFilter: (f: EventFilter) => void; onJump: (a: PageAnchor) => void; inStream: boolean }) {
  const [types, setTypes] = useState((filter.types ?? []).join(', '));
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [corr, setCorr] = useState(filter.correlationId ?? '');
  const [caus, setCaus] = useState(filter.causationId ?? '');
  const [payload, setPayload] = useState(filter.payloadContains ?? '');
  const [meta, setMeta] = useState(filter.metadataContains ?? '');
  const [more, setMore] = useState(false);
  const [jump, setJump] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const [jsonError, setJsonError] = useState<string | null>(null);

  const apply = () => {
    for (const [label, v] of [['Payload', payload], ['Metadata', meta]] as const) {
      if (!v) continue;
      try {
        const x: unknown = JSON.parse(v);
        if (typeof x !== 'object' || x === null) throw new Error('not an object');
      } catch {
        setJsonError(`${label} contains: write a JSON object, e.g. {"customerId":"cust-7"}`);
        return;
      }
    }
    setJsonError(null);
    const t = types.split(',').map((x) => x.trim()).filter(Boolean);
    onFilter({
      ...(t.length ? { types: t } : {}),
      ...(localToIso(from) ? { timeFrom: localToIso(from) } : {}),
      ...(localToIso(to) ? { timeTo: localToIso(to) } : {}),
      ...(corr.trim() ? { correlationId: corr.trim() } : {}),
      ...(caus.trim() ? { causationId: caus.trim() } : {}),
      ...(payload.trim() ? { payloadContains: payload.trim() } : {}),
      ...(meta.trim() ? { metadataContains: meta.trim() } : {}),
    });
  };
  const clear = () => {
    setTypes(''); setFrom(''); setTo(''); setCorr(''); setCaus(''); setPayload(''); setMeta(''); setJsonError(null);
    onFilter({});
  };
  const doJump = () => {
    const v = jump.trim();
    if (/^\d+$/.test(v)) { setJumpError(null); onJump({ kind: 'at', value: v }); return; }
    const d = new Date(v);
    if (v && !Number.isNaN(d.getTime())) { setJumpError(null); onJump({ kind: 'time', at: d.toISOString() }); return; }
    setJumpError(inStream ? 'A version number or a date/time' : 'A position number or a date/time (e.g. 2026-01-31 14:00)');
  };
  const active = Object.keys(filter).length;

  return (
    <div className="ev-filters">
      <form className="row" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <input className="input ev-grow" placeholder="Event types, comma separated" value={types} onChange={(e) => setTypes(e.target.value)} aria-label="Event types" />
        <input className="input mono ev-w180" placeholder="Correlation id" value={corr} onChange={(e) => setCorr(e.target.value)} aria-label="Correlation id" />
        <button type="button" className="btn small" onClick={() => setMore((m) => !m)} aria-expanded={more}>{more ? 'Fewer' : 'More'} filters</button>
        <button type="submit" className="btn small primary">Apply</button>
        {active ? <button type="button" className="btn small" onClick={clear}>Clear ({active})</button> : null}
      </form>
      {more ? (
        <div className="ev-more">
          <label className="field">From<input className="input" type="datetime-local" step="1" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
          <label className="field">To<input className="input" type="datetime-local" step="1" value={to} onChange={(e) => setTo(e.target.value)} /></label>
          <label className="field">Causation id<input className="input mono" value={caus} onChange={(e) => setCaus(e.target.value)} /></label>
          <label className="field">Payload contains (JSON)<input className="input mono" placeholder='{"customerId":"cust-7"}' value={payload} onChange={(e) => setPayload(e.target.value)} aria-label="Payload contains" /></label>
          <label className="field">Metadata contains (JSON)<input className="input mono" placeholder='{"user":"demo"}' value={meta} onChange={(e) => setMeta(e.target.value)} /></label>
        </div>
      ) : null}
      {jsonError ? <div className="field-error">{jsonError}</div> : null}
      <form className="row ev-jump" onSubmit={(e) => { e.preventDefault(); doJump(); }}>
        <input className="input mono ev-w220" placeholder={inStream ? 'Jump to version or time' : 'Jump to position or time'} value={jump} onChange={(e) => setJump(e.target.value)} aria-label="Jump to" />
        <button type="submit" className="btn small">Jump</button>
        <button type="button" className="btn small" onClick={() => onJump({ kind: 'start' })}>Oldest</button>
        <button type="button" className="btn small" onClick={() => onJump({ kind: 'head' })}>Newest</button>
        {jumpError ? <span className="field-error">{jumpError}</span> : null}
      </form>
    </div>
  );
}
