import { useMemo, useState } from 'react';
import { diffLines } from 'diff';
import './YamlDiff.css';

interface Line {
  kind: 'same' | 'add' | 'del';
  text: string;
  a: number | null;
  b: number | null;
}

type Block = { type: 'lines'; lines: Line[] } | { type: 'gap'; lines: Line[] };

function toLines(before: string, after: string): Line[] {
  const out: Line[] = [];
  let a = 1;
  let b = 1;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) out.push({ kind: 'add', text, a: null, b: b++ });
      else if (part.removed) out.push({ kind: 'del', text, a: a++, b: null });
      else out.push({ kind: 'same', text, a: a++, b: b++ });
    }
  }
  return out;
}

/** Unchanged runs longer than 2×context collapse into an expandable gap. */
function toBlocks(lines: Line[], context: number): Block[] {
  const changed = lines.map((l) => l.kind !== 'same');
  const near = lines.map((_, i) => {
    for (let d = -context; d <= context; d++) if (changed[i + d]) return true;
    return false;
  });
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const type = near[i] ? 'lines' : 'gap';
    const last = blocks[blocks.length - 1];
    if (last && last.type === type) last.lines.push(lines[i]!);
    else blocks.push({ type, lines: [lines[i]!] });
  }
  return blocks;
}

/**
 * A line diff of two YAML documents (what will change), with unchanged stretches folded.
 * `before` empty means the object is created; `after` empty means it is deleted.
 */
export function YamlDiff({ before, after, title, context = 3 }: { before: string; after: string; title?: string; context?: number }) {
  const lines = useMemo(() => toLines(before, after), [before, after]);
  const blocks = useMemo(() => toBlocks(lines, context), [lines, context]);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const added = lines.filter((l) => l.kind === 'add').length;
  const removed = lines.filter((l) => l.kind === 'del').length;
  return (
    <div className="yaml-diff" data-testid="yaml-diff">
      <div className="yaml-diff-head">
        <span className="mono">{title ?? 'diff'}</span>
        <span className="yaml-diff-stat">
          <span className="add">+{added}</span> <span className="del">−{removed}</span>
          {before === '' ? <span className="chip accent">new object</span> : null}
          {after === '' ? <span className="chip bad">deleted</span> : null}
        </span>
      </div>
      {added + removed === 0 ? <div className="yaml-diff-empty muted">No change.</div> : null}
      <div className="yaml-diff-body" role="table" aria-label={`Changes to ${title ?? 'the object'}`}>
        {blocks.map((blk, i) =>
          blk.type === 'gap' && !open.has(i) ? (
            <button key={i} className="yaml-diff-gap" onClick={() => setOpen(new Set([...open, i]))}>
              ⋯ {blk.lines.length} unchanged line{blk.lines.length === 1 ? '' : 's'}
            </button>
          ) : (
            blk.lines.map((l, j) => (
              <div key={`${i}-${j}`} className={`yaml-diff-line ${l.kind}`} role="row">
                <span className="ln">{l.a ?? ''}</span>
                <span className="ln">{l.b ?? ''}</span>
                <span className="sign">{l.kind === 'add' ? '+' : l.kind === 'del' ? '−' : ' '}</span>
                <span className="text">{l.text}</span>
              </div>
            ))
          ),
        )}
      </div>
    </div>
  );
}

/** A unified diff text (e.g. from the audit log) shown with the same colours. */
export function UnifiedDiff({ text }: { text: string }) {
  return (
    <pre className="yaml-diff-unified" data-testid="unified-diff">
      {text.split('\n').map((l, i) => (
        <div key={i} className={l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : l.startsWith('@@') ? 'hunk' : ''}>
          {l || ' '}
        </div>
      ))}
    </pre>
  );
}
