import { useEffect, useLayoutEffect, useRef } from 'react';
import type { Graph, GraphNode } from '../../../shared/graph/types';
import { canaryHref, projectionsHref, servicesOf, trafficHref } from './overlays';
import type { NodeOverlay } from './overlays';

/** A node's right-click menu: its details, its routing editor, and what its overlays link to. */
export function NodeMenu({ graph, node, overlay, x, y, onDetails, onClose }: {
  graph: Graph; node: GraphNode; overlay: NodeOverlay | undefined; x: number; y: number; onDetails(): void; onClose(): void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const services = servicesOf(graph, node);
  const close = useRef(onClose);
  useEffect(() => { close.current = onClose; });

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('a, button')?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') close.current(); };
    const onDown = (e: PointerEvent) => { if (!ref.current?.contains(e.target as Node)) close.current(); };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onDown);
    };
  }, []);

  // Keep the menu inside the canvas near its right and bottom edges.
  useLayoutEffect(() => {
    const el = ref.current;
    const parent = el?.parentElement;
    if (!el || !parent) return;
    el.style.left = `${Math.max(4, Math.min(x + 4, parent.clientWidth - el.offsetWidth - 4))}px`;
    el.style.top = `${Math.max(4, Math.min(y + 4, parent.clientHeight - el.offsetHeight - 4))}px`;
  }, [x, y]);

  return (
    <div ref={ref} className="graph-menu" role="menu" aria-label={`Actions for ${node.name}`} data-testid="node-menu" style={{ left: x + 4, top: y + 4 }}>
      <div className="menu-title">{node.namespace !== 'unknown' ? `${node.namespace}/` : ''}{node.name}</div>
      <button role="menuitem" onClick={() => { onDetails(); close.current(); }}>Details</button>
      {services.map((s) => (
        <a key={`${s.namespace}/${s.service}`} role="menuitem" href={trafficHref(s)} data-testid="menu-edit-routing">
          Edit routing{services.length > 1 || node.type !== 'service' ? ` · ${s.service}` : ''}
        </a>
      ))}
      {overlay?.canary ? <a role="menuitem" href={canaryHref(overlay.canary.runId)} data-testid="menu-canary">Canary run · {overlay.canary.service}</a> : null}
      {overlay?.lag ? <a role="menuitem" href={projectionsHref(overlay.lag.connectionId)} data-testid="menu-projections">Projections · lag</a> : null}
    </div>
  );
}
