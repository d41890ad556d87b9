import { useRef, useState } from 'react';
import { downloadBlob } from '../../components/download';
import type { ChangeEvent, ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
// Types only: the contract module's values would pull zod into the renderer bundle.
import type { Preferences, PreferencesPatch, SecretsInfo, SettingsSnapshot, ThemeChoice } from '../../../shared/contract/settings';
import { useClient, useSubscription } from '../../app/ClientContext';
import { useTheme } from '../../app/theme';
import { ErrorBox, Loading } from '../../components/States';
import { SHORTCUTS } from './shell-commands';

const KEY = ['settings'];

// Records keyed by the contract's unions: adding a value there is a type error here until it is labelled.
type G = Preferences['graph'];
const THEMES: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };
const GRAPH_TYPES: Record<G['type'], string> = { workload: 'Workloads', app: 'Apps', versionedApp: 'Versioned apps', service: 'Services' };
const LAYOUTS: Record<G['layout'], string> = { dagre: 'Layered (dagre)', breadthfirst: 'Breadth-first', concentric: 'Concentric', grid: 'Grid', fcose: 'Force (fcose)' };
const WINDOWS: Record<G['window'], string> = { '1m': 'Last minute', '2m': 'Last 2 minutes', '5m': 'Last 5 minutes', '10m': 'Last 10 minutes', '30m': 'Last 30 minutes', '1h': 'Last hour', '3h': 'Last 3 hours', '6h': 'Last 6 hours', '12h': 'Last 12 hours', '1d': 'Last day' };
const EDGE_LABELS: Record<G['edgeLabel'], string> = { none: 'None', rate: 'Request rate', errorRate: 'Error rate', p50: 'p50 latency', p95: 'p95 latency', p99: 'p99 latency' };
/** The `settings.import` channel's limit (checked again in main). */
const MAX_IMPORT_BYTES = 1_000_000;

export default function SettingsView() {
  const client = useClient();
  const qc = useQueryClient();
  const theme = useTheme();
  const settings = useQuery({ queryKey: KEY, queryFn: () => client.invoke('settings.get', {}) });
  useSubscription('settings.changed', {}, (s) => qc.setQueryData(KEY, s));
  const notices = useQuery({ queryKey: ['settings.notices'], queryFn: () => client.invoke('settings.notices', {}) });

  const update = useMutation({
    mutationFn: (patch: PreferencesPatch) => client.invoke('settings.update', { preferences: patch }),
    onSuccess: (s) => qc.setQueryData(KEY, s),
  });
  const ack = useMutation({
    mutationFn: (id: string) => client.invoke('settings.ackNotice', { id }),
    onSuccess: (n) => qc.setQueryData(['settings.notices'], n),
  });

  if (settings.isPending) return <div className="page"><Loading label="Loading settings…" /></div>;
  if (settings.isError) return <div className="page"><ErrorBox error={settings.error} title="Settings could not be loaded" onRetry={() => void settings.refetch()} /></div>;
  const s = settings.data;
  const p = s.preferences;

  return (
    <div className="page" data-testid="settings-view">
      <h1>Settings</h1>
      <p className="sub">Kept per user in <code>{s.file}</code> (schema version {s.schemaVersion}). Secrets are stored separately and never shown.</p>

      {notices.data && notices.data.length > 0 ? (
        <div className="card" data-testid="settings-notices">
          <h2>Notices</h2>
          {notices.data.map((n) => (
            <div key={n.id} className={n.level === 'error' ? 'error-box' : 'row'} style={{ marginBottom: 8 }}>
              <div>{n.message}</div>
              <button className="btn small" onClick={() => ack.mutate(n.id)}>Dismiss</button>
            </div>
          ))}
        </div>
      ) : null}

      {update.isError ? <ErrorBox error={update.error} title="Not saved" /> : null}

      <div className="grid2" style={{ marginTop: 12 }}>
        <section className="card" aria-labelledby="appearance">
          <h2 id="appearance">Appearance</h2>
          <div className="row" role="radiogroup" aria-label="Theme">
            {(Object.keys(THEMES) as ThemeChoice[]).map((t) => (
              <label key={t} className="row" style={{ gap: 4 }}>
                <input type="radio" name="theme" value={t} checked={theme.choice === t} onChange={() => theme.setChoice(t)} />
                {THEMES[t]}
              </label>
            ))}
          </div>
          <p className="muted">Saved theme: {THEMES[p.theme]}. The top bar button and Ctrl+Shift+L switch between light and dark.</p>
        </section>

        <section className="card" aria-labelledby="refresh" style={{ marginTop: 0 }}>
          <h2 id="refresh">Refresh intervals</h2>
          <div className="row">
            <NumberField label="Graph (s)" value={p.refresh.graphSeconds} min={2} max={3600} onSave={(v) => update.mutate({ refresh: { graphSeconds: v } })} />
            <NumberField label="Event store (s)" value={p.refresh.eventStoreSeconds} min={1} max={3600} onSave={(v) => update.mutate({ refresh: { eventStoreSeconds: v } })} />
            <NumberField label="Cluster (s)" value={p.refresh.clusterSeconds} min={2} max={3600} onSave={(v) => update.mutate({ refresh: { clusterSeconds: v } })} />
          </div>
        </section>

        <section className="card" aria-labelledby="graph" style={{ marginTop: 0 }}>
          <h2 id="graph">Graph defaults</h2>
          <div className="row">
            <Select label="Graph type" value={p.graph.type} options={GRAPH_TYPES} onChange={(v) => update.mutate({ graph: { type: v } })} />
            <Select label="Layout" value={p.graph.layout} options={LAYOUTS} onChange={(v) => update.mutate({ graph: { layout: v } })} />
            <Select label="Time window" value={p.graph.window} options={WINDOWS} onChange={(v) => update.mutate({ graph: { window: v } })} />
            <Select label="Edge labels" value={p.graph.edgeLabel} options={EDGE_LABELS} onChange={(v) => update.mutate({ graph: { edgeLabel: v } })} />
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <Check label="Show idle nodes" checked={p.graph.showIdleNodes} onChange={(v) => update.mutate({ graph: { showIdleNodes: v } })} />
            <Check label="Show mTLS / security" checked={p.graph.showSecurity} onChange={(v) => update.mutate({ graph: { showSecurity: v } })} />
            <Check label="Keep node positions" checked={p.graph.stablePositions} onChange={(v) => update.mutate({ graph: { stablePositions: v } })} />
          </div>
        </section>

        <ImportExport onImported={(snap) => qc.setQueryData(KEY, snap)} />
      </div>

      <Connections s={s} />
      <Secrets info={s.secrets} />
      <Shortcuts desktop={client.transport === 'ipc'} />
    </div>
  );
}

function NumberField({ label: text, value, min, max, onSave }: { label: string; value: number; min: number; max: number; onSave: (v: number) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft ?? String(value);
  const n = Number(shown);
  const valid = Number.isInteger(n) && n >= min && n <= max;
  const commit = () => {
    if (draft === null) return;
    if (valid && n !== value) onSave(n);
    if (valid) setDraft(null);
  };
  return (
    <label className="field">
      {text}
      <input className="input" type="number" min={min} max={max} step={1} value={shown} style={{ width: 110 }}
        aria-invalid={!valid}
        onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={(e) => { if (e.key === 'Enter') commit(); }} />
      {!valid ? <span className="field-error">{min}–{max}, whole seconds</span> : null}
    </label>
  );
}

function Select<T extends string>({ label: text, value, options, onChange }: { label: string; value: T; options: Record<T, string>; onChange: (v: T) => void }) {
  return (
    <label className="field">
      {text}
      <select className="input" value={value} onChange={(e) => onChange(e.target.value as T)}>
        {(Object.keys(options) as T[]).map((o) => <option key={o} value={o}>{options[o]}</option>)}
      </select>
    </label>
  );
}

function Check({ label: text, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="row" style={{ gap: 6 }}>
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {text}
    </label>
  );
}

function ImportExport({ onImported }: { onImported: (s: SettingsSnapshot) => void }) {
  const client = useClient();
  const fileInput = useRef<HTMLInputElement>(null);
  const [message, setMessage] = useState<ReactNode>(null);
  const exp = useMutation({
    mutationFn: () => client.invoke('settings.export', {}),
    onSuccess: ({ json, fileName }) => {
      downloadBlob(new Blob([json], { type: 'application/json' }), fileName);
      setMessage(<span className="muted">Exported as {fileName} (no secrets in it).</span>);
    },
  });
  const imp = useMutation({
    mutationFn: async (file: File) => {
      if (file.size > MAX_IMPORT_BYTES) throw new Error(`${file.name} is larger than ${MAX_IMPORT_BYTES} bytes: not a settings export.`);
      return client.invoke('settings.import', { json: await file.text() });
    },
    onSuccess: (r) => {
      onImported(r.settings);
      setMessage(r.warnings.length === 0
        ? <span className="chip ok">Imported</span>
        : <div><span className="chip warn">Imported with warnings</span><ul data-testid="import-warnings">{r.warnings.map((w) => <li key={w}>{w}</li>)}</ul></div>);
    },
  });
  const onFile = (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    e.target.value = '';
    if (f) imp.mutate(f);
  };
  return (
    <section className="card" aria-labelledby="impexp" style={{ marginTop: 0 }}>
      <h2 id="impexp">Import and export</h2>
      <p className="muted">Preferences and connections as JSON. Tokens and passwords are never exported: set them again after an import.</p>
      <div className="row">
        <button className="btn" onClick={() => exp.mutate()} disabled={exp.isPending}>Export…</button>
        <button className="btn" onClick={() => fileInput.current?.click()} disabled={imp.isPending}>Import…</button>
        <input ref={fileInput} type="file" accept="application/json,.json" hidden onChange={onFile} data-testid="import-file" />
      </div>
      {exp.isError ? <ErrorBox error={exp.error} title="Export failed" /> : null}
      {imp.isError ? <ErrorBox error={imp.error} title="Import failed" /> : null}
      {message}
    </section>
  );
}

function Connections({ s }: { s: SettingsSnapshot }) {
  const c = s.connections;
  const prom = Object.entries(c.prometheus);
  return (
    <section className="card" aria-labelledby="connections" style={{ marginTop: 12 }}>
      <h2 id="connections">Connections</h2>
      <h3 style={{ fontSize: 13 }}>Kubeconfig files you added</h3>
      {c.kubeconfigs.length === 0 ? <p className="muted">None (KUBECONFIG and ~/.kube/config are always read). Add one in Clusters or File → Open Kubeconfig.</p> : (
        <table className="table"><tbody>
          {c.kubeconfigs.map((k) => (
            <tr key={k.path}>
              <td className="mono">{k.path}</td>
              <td>{k.health.status === 'ok' ? <span className="chip ok">ok</span> : <span className="chip bad" title={k.health.reason}>broken</span>}</td>
              <td className="muted">{k.health.status === 'broken' ? k.health.reason : ''}</td>
            </tr>
          ))}
        </tbody></table>
      )}
      <h3 style={{ fontSize: 13 }}>Prometheus per cluster</h3>
      {prom.length === 0 ? <p className="muted">None configured: each cluster's Prometheus is found automatically.</p> : (
        <table className="table"><thead><tr><th>Context</th><th>Source</th><th>Address</th><th>Auth</th></tr></thead><tbody>
          {prom.map(([ctx, p]) => (
            <tr key={ctx}>
              <td className="mono">{ctx}</td>
              <td>{p.source}</td>
              <td className="mono">{p.source === 'url' ? p.url : p.service ? `${p.service.namespace}/${p.service.name}:${p.service.port}` : 'auto'}{p.pathPrefix}</td>
              <td>{p.auth === 'none' ? 'none' : <>{p.auth} <SecretChip set={p.secretSet} /></>}</td>
            </tr>
          ))}
        </tbody></table>
      )}
      <h3 style={{ fontSize: 13 }}>Event stores</h3>
      {c.eventStores.length === 0 ? <p className="muted">None yet.</p> : (
        <table className="table"><thead><tr><th>Name</th><th>Database</th><th>Password</th></tr></thead><tbody>
          {c.eventStores.map((e) => (
            <tr key={e.id}>
              <td>{e.name} <span className="muted mono">{e.id}</span></td>
              <td className="mono">{e.url} <span className="muted">(TLS {e.tls.mode}, schema {e.schema})</span></td>
              <td><SecretChip set={e.secretSet} /></td>
            </tr>
          ))}
        </tbody></table>
      )}
    </section>
  );
}

function SecretChip({ set }: { set: boolean }) {
  return set ? <span className="chip ok">set</span> : <span className="chip warn">not set</span>;
}

function Secrets({ info }: { info: SecretsInfo }) {
  const client = useClient();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState('');
  const refresh = () => void qc.invalidateQueries({ queryKey: KEY });
  const set = useMutation({
    mutationFn: (v: { key: string; value: string }) => client.invoke('settings.setSecret', v),
    onSuccess: () => { setEditing(null); setValue(''); refresh(); },
  });
  const del = useMutation({ mutationFn: (key: string) => client.invoke('settings.deleteSecret', { key }), onSuccess: refresh });
  const where = info.backend === 'safeStorage' ? 'encrypted with the OS keyring (Electron safeStorage)' : info.backend === 'file' ? 'in a file only you can read (0600)' : 'in memory only';
  return (
    <section className="card" aria-labelledby="secrets" style={{ marginTop: 12 }}>
      <h2 id="secrets">Secrets</h2>
      <p className="muted">Tokens and passwords are kept {where}. They can be set or cleared here, never read back.</p>
      {!info.usable ? <ErrorBox error={{ code: 'INVALID_CONFIG', message: info.problem ?? 'Secrets cannot be stored here.' }} title="Secrets cannot be saved" /> : null}
      {set.isError ? <ErrorBox error={set.error} title="Secret not saved" /> : null}
      {info.keys.length === 0 ? <p className="muted">No connection needs a secret yet.</p> : (
        <table className="table"><tbody>
          {info.keys.map((k) => (
            <tr key={k.key}>
              <td className="mono">{k.key}</td>
              <td><SecretChip set={k.set} /></td>
              <td>
                {editing === k.key ? (
                  <form className="row" onSubmit={(e) => { e.preventDefault(); if (value) set.mutate({ key: k.key, value }); }}>
                    <input className="input" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} aria-label={`Value for ${k.key}`} autoFocus />
                    <button className="btn small primary" type="submit" disabled={!value || set.isPending}>Save</button>
                    <button className="btn small" type="button" onClick={() => { setEditing(null); setValue(''); }}>Cancel</button>
                  </form>
                ) : (
                  <div className="row">
                    <button className="btn small" disabled={!info.usable} onClick={() => { setEditing(k.key); setValue(''); }}>{k.set ? 'Replace' : 'Set'}</button>
                    {k.set ? <button className="btn small danger" onClick={() => del.mutate(k.key)}>Clear</button> : null}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody></table>
      )}
    </section>
  );
}

function Shortcuts({ desktop }: { desktop: boolean }) {
  const list = desktop ? SHORTCUTS.desktop : SHORTCUTS.web;
  return (
    <section className="card" aria-labelledby="shortcuts" style={{ marginTop: 12 }}>
      <h2 id="shortcuts">Keyboard shortcuts</h2>
      <table className="table"><tbody>
        {list.map((s) => <tr key={s.keys}><td className="mono">{s.keys}</td><td>{s.what}</td></tr>)}
      </tbody></table>
      <p className="muted">On macOS, Cmd takes the place of Ctrl.</p>
    </section>
  );
}
