import { useState } from 'react';
import type { FormEvent } from 'react';
import type { KubeconfigFileInfo, KubeContextInfo } from '../../../shared/contract/kube';
import { normalise } from '../../components/States';
import { useClient } from '../../app/ClientContext';
import { ORIGIN_LABEL } from './labels';
import { useKubeFiles } from './useKube';

function FileState({ f, count }: { f: KubeconfigFileInfo; count: number }) {
  if (f.error) {
    return (
      <span className="field-error" data-testid="file-error">
        {f.error.line !== undefined ? <span className="chip bad">line {f.error.line}</span> : <span className="chip bad">error</span>} {f.error.message}
      </span>
    );
  }
  if (!f.exists) return <span className="chip warn" title="kubectl skips a missing file too">not found</span>;
  return <span className="muted">{count} context{count === 1 ? '' : 's'}</span>;
}

export function FilesCard({ files, contexts }: { files: KubeconfigFileInfo[]; contexts: KubeContextInfo[] }) {
  const client = useClient();
  const { add, remove } = useKubeFiles();
  const [path, setPath] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = path.trim();
    if (!p) return;
    add.mutate(p, { onSuccess: () => setPath('') });
  };
  const addError = add.error ? normalise(add.error) : null;
  const removeError = remove.error ? normalise(remove.error) : null;
  return (
    <section className="card" aria-labelledby="kc-files">
      <h2 id="kc-files">Kubeconfig files</h2>
      <table className="table">
        <tbody>
          {files.map((f) => (
            <tr key={f.path} data-testid="file-row" data-origin={f.origin}>
              <td className="mono kc-path">{f.path}</td>
              <td><span className="chip" title={ORIGIN_LABEL[f.origin].title}>{ORIGIN_LABEL[f.origin].text}</span></td>
              <td><FileState f={f} count={contexts.filter((c) => c.file === f.path).length} /></td>
              <td className="kc-actions">
                {f.origin === 'user' ? (
                  <button className="btn small" disabled={remove.isPending} onClick={() => remove.mutate(f.path)} aria-label={`Forget ${f.path}`}>Remove</button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {removeError ? <div className="field-error">{removeError.message}</div> : null}
      <form className="row kc-add" onSubmit={submit}>
        <label className="field kc-grow">
          Add a kubeconfig file {client.transport === 'web' ? '(a path on the machine running meshdeck)' : ''}
          <input
            className="input mono"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/home/me/.kube/staging.yaml or ~/.kube/other"
            aria-invalid={addError !== null}
            spellCheck={false}
          />
        </label>
        <button className="btn primary" type="submit" disabled={add.isPending || path.trim() === ''}>{add.isPending ? 'Adding…' : 'Add file'}</button>
      </form>
      {addError ? <div className="field-error" role="alert">{addError.message}</div> : null}
    </section>
  );
}
