import type cytoscape from 'cytoscape';

/**
 * Traffic animation on a canvas over cytoscape, after Kiali's rules: more dots for more requests,
 * faster dots for faster responses, red dots for the error share. Only the busiest edges are
 * animated (it is CPU work), and nothing runs while the page is hidden.
 */
export interface AnimationColors { ok: string; bad: string; tcp: string }

const MAX_EDGES = 400;

export function startTrafficAnimation(cy: cytoscape.Core, canvas: HTMLCanvasElement, colors: () => AnimationColors): () => void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return () => undefined;
  let edges: cytoscape.EdgeSingular[] = [];
  let picked = 0;
  const pick = () => {
    edges = cy
      .edges()
      .filter((e) => !e.hasClass('hidden') && Number(e.data('rate')) > 0)
      .sort((a, b) => Number(b.data('rate')) - Number(a.data('rate')))
      .slice(0, MAX_EDGES)
      .toArray() as cytoscape.EdgeSingular[];
    picked = performance.now();
  };
  pick();
  let raf = 0;
  const frame = (now: number) => {
    raf = requestAnimationFrame(frame);
    if (document.hidden) return;
    if (now - picked > 1000) pick();
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const c = colors();
    const zoom = cy.zoom();
    const r = Math.max(1.5, Math.min(4, 2.5 * zoom));
    const t = now / 1000;
    for (const e of edges) {
      if (e.removed()) continue;
      const s = e.source().renderedPosition();
      const d = e.target().renderedPosition();
      const rate = Number(e.data('rate'));
      const tcp = e.data('protocol') === 'tcp';
      const dots = Math.max(1, Math.min(6, Math.ceil(Math.log2(1 + (tcp ? rate / 1000 : rate)))));
      const rt = Number(e.data('rt') ?? 0);
      // Kiali: 0.1 .. 2 edge-lengths per second, slower as response time grows towards 10 s.
      const speed = tcp ? 0.5 : 0.1 + (1 - Math.min(Math.max(rt, 0), 10_000) / 10_000) * 0.6;
      const errDots = tcp ? 0 : Math.round((Number(e.data('err')) / 100) * dots);
      for (let i = 0; i < dots; i++) {
        const f = (t * speed + i / dots) % 1;
        const x = s.x + (d.x - s.x) * f;
        const y = s.y + (d.y - s.y) * f;
        if (x < -5 || y < -5 || x > w + 5 || y > h + 5) continue;
        ctx.fillStyle = tcp ? c.tcp : i < errDots ? c.bad : c.ok;
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  };
  raf = requestAnimationFrame(frame);
  return () => {
    cancelAnimationFrame(raf);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
  };
}
