import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { ConnectionTestResult, CustomMapping, EventStoreConnectionInfo, EventStoreConnectionInput } from '../../../shared/contract/events';
import { ErrorBox } from '../../components/States';

type TlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
type SchemaChoice = NonNullable<EventStoreConnectionInput['schema']>;

const MAPPING_FIELDS: { key: keyof CustomMapping; label: string; required: boolean }[] = [
  { key: 'table', label: 'Table', required: true },
  { key: 'position', label: 'Global position', required: true },
  { key: 'streamId', label: 'Stream id', required: true },
  { key: 'version', label: 'Stream version', required: true },
  { key: 'type', label: 'Event type', required: true },
  { key: 'payload', label: 'Payload', required: true },
  { key: 'time', label: 'Time', required: true },
  { key: 'metadata', label: 'Metadata', required: false },
  { key: 'category', label: 'Category', required: false },
  { key: 'correlationPath', label: 'Correlation id path', required: false },
  { key: 'causationPath', label: 'Causation id path', required: false },
];

/** Add a connection: URL, password kept apart, TLS, schema (auto / a family / a custom mapping), test button. */
export function ConnectionForm({ onAdded, onCancel, initialMapping }: { onAdded: (c: EventStoreConnectionInfo) => void; onCancel?: () => void; initialMapping?: CustomMapping | null }) {
  const client = useClient();
  const qc = useQueryClient();
  const [name, setName] = useState('My event store');
  const [url, setUrl] = useState('postgres://postgres@localhost:5432/postgres');
  const [password, setPassword] = useState('');
  const [tls, setTls] = useState<TlsMode>('prefer');
  const [ca, setCa] = useState('');
  const [schema, setSchema] = useState<SchemaChoice>(initialMapping ? 'custom' : 'auto');
  const [mapping, setMapping] = useState<Partial<CustomMapping>>(initialMapping ?? {});

  const input = (): EventStoreConnectionInput => ({
    name, url, password: password || undefined, tls: { mode: tls, ...(ca ? { ca } : {}) }, schema,
    ...(schema === 'custom' ? { mapping: Object.fromEntries(Object.entries(mapping).filter(([, v]) => v)) as CustomMapping } : {}),
  });
  const test = useMutation({ mutationFn: () => client.invoke('events.testConnection', input()) });
  const add = useMutation({
    mutationFn: () => client.invoke('events.addConnection', input()),
    onSuccess: (c) => { void qc.invalidateQueries({ queryKey: ['events.connections'] }); onAdded(c); },
  });
  const suggested = test.data?.detected.suggestedMapping;

  return (
    <form className="card ev-form" onSubmit={(e) => { e.preventDefault(); add.mutate(); }} aria-label="Add an event store">
      <h2>Connect to a Postgres event store</h2>
      <p className="muted ev-small">meshdeck opens every session read only with a statement timeout: it never writes to your store. The password is kept apart from the URL and never shown again.</p>
      <div className="ev-form-grid">
        <label className="field">Name<input className="input" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <label className="field ev-span2">Postgres URL<input className="input mono" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="postgres://user@host:5432/db" aria-label="Postgres URL" /></label>
        <label className="field">Password<input className="input" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="off" aria-label="Password" /></label>
        <label className="field">TLS
          <select className="input" value={tls} onChange={(e) => setTls(e.target.value as TlsMode)}>
            <option value="disable">disable</option><option value="prefer">prefer</option><option value="require">require</option>
            <option value="verify-ca">verify-ca</option><option value="verify-full">verify-full</option>
          </select>
        </label>
        <label className="field">Schema
          <select className="input" value={schema} onChange={(e) => setSchema(e.target.value as SchemaChoice)}>
            <option value="auto">Detect automatically</option><option value="classic">Classic (meshdeck)</option><option value="messagedb">Message DB</option>
            <option value="marten">Marten</option><option value="emmett">Emmett</option><option value="eventuous">Eventuous</option><option value="custom">Custom mapping…</option>
          </select>
        </label>
        {tls === 'verify-ca' || tls === 'verify-full' ? (
          <label className="field ev-span3">CA certificate (PEM)<textarea className="input mono" rows={3} value={ca} onChange={(e) => setCa(e.target.value)} /></label>
        ) : null}
      </div>
      {schema === 'custom' ? (
        <fieldset className="ev-mapping">
          <legend>Column mapping</legend>
          {MAPPING_FIELDS.map((f) => (
            <label key={f.key} className="field">{f.label}{f.required ? ' *' : ''}
              <input className="input mono" value={mapping[f.key] ?? ''} required={f.required} onChange={(e) => setMapping((m) => ({ ...m, [f.key]: e.target.value }))} />
            </label>
          ))}
        </fieldset>
      ) : null}
      <div className="row ev-form-actions">
        <button type="button" className="btn" onClick={() => test.mutate()} disabled={test.isPending}>{test.isPending ? 'Testing…' : 'Test connection'}</button>
        <button type="submit" className="btn primary" disabled={add.isPending}>Add connection</button>
        {onCancel ? <button type="button" className="btn" onClick={onCancel}>Cancel</button> : null}
      </div>
      {test.error ? <ErrorBox error={test.error} title="Connection test failed" /> : null}
      {add.error ? <ErrorBox error={add.error} title="Could not add the connection" /> : null}
      {test.data ? <TestResult r={test.data} onUseMapping={suggested ? () => { setSchema('custom'); setMapping(suggested); } : undefined} /> : null}
    </form>
  );
}

function TestResult({ r, onUseMapping }: { r: ConnectionTestResult; onUseMapping?: () => void }) {
  return (
    <div className="ev-test" data-testid="test-result">
      <div className="row">
        <span className="chip ok">connected</span>
        <span>PostgreSQL {r.serverVersion} · {r.database} as {r.user} · {r.latencyMs} ms</span>
        <span className={`chip ${r.readOnly ? 'ok' : 'warn'}`}>{r.readOnly ? 'read only' : 'NOT read only'}</span>
        <span className="chip">{r.tls ? 'TLS' : 'no TLS'}</span>
      </div>
      <div className="row ev-gap">
        <span className={`chip ${r.detected.kind ? 'accent' : 'warn'}`}>{r.detected.label}</span>
        <span>{r.detected.message}</span>
      </div>
      {onUseMapping ? <button type="button" className="btn small ev-gap" onClick={onUseMapping}>Use the suggested mapping</button> : null}
    </div>
  );
}
