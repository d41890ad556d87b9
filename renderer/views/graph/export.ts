import type cytoscape from 'cytoscape';
import type { Graph } from '../../../shared/graph/types';

export { downloadBlob as download, fileStamp as stamp } from '../../components/download';

export async function exportPng(cy: cytoscape.Core, bg: string): Promise<Blob> {
  return cy.png({ output: 'blob-promise', full: true, scale: 2, bg, maxWidth: 8000, maxHeight: 8000 });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function shapePath(shape: string, x: number, y: number, w: number, h: number): string {
  const hw = w / 2;
  const hh = h / 2;
  switch (shape) {
    case 'round-triangle':
    case 'triangle':
      return `<polygon points="${x},${y - hh} ${x + hw},${y + hh} ${x - hw},${y + hh}"`;
    case 'diamond':
      return `<polygon points="${x},${y - hh} ${x + hw},${y} ${x},${y + hh} ${x - hw},${y}"`;
    case 'round-rectangle':
    case 'rectangle':
      return `<rect x="${x - hw}" y="${y - hh}" width="${w}" height="${h}" rx="4"`;
    default:
      return `<ellipse cx="${x}" cy="${y}" rx="${hw}" ry="${hh}"`;
  }
}

/**
 * A vector export drawn from the laid-out graph (cytoscape has no SVG output of its own without a
 * plugin): boxes, edges with arrows, node shapes with their health border, labels.
 */
export function exportSvg(cy: cytoscape.Core, colors: { bg: string; text: string; muted: string; font: string }): Blob {
  const visible = cy.elements().filter((e) => !e.hasClass('hidden'));
  const bb = visible.boundingBox({});
  const pad = 20;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${bb.x1 - pad} ${bb.y1 - pad} ${bb.w + 2 * pad} ${bb.h + 2 * pad}" width="${Math.round(bb.w + 2 * pad)}" height="${Math.round(bb.h + 2 * pad)}" font-family="${esc(colors.font)}">`,
    `<rect x="${bb.x1 - pad}" y="${bb.y1 - pad}" width="${bb.w + 2 * pad}" height="${bb.h + 2 * pad}" fill="${colors.bg}"/>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
  );
  const depth = (n: cytoscape.NodeSingular) => n.ancestors().length;
  const boxes = (visible.nodes().filter((n) => n.isParent()).toArray() as cytoscape.NodeSingular[]).sort((a, b) => depth(a) - depth(b));
  for (const b of boxes) {
    const r = b.boundingBox({ includeLabels: false });
    parts.push(`<rect x="${r.x1}" y="${r.y1}" width="${r.w}" height="${r.h}" rx="6" fill="${b.style('background-color')}" fill-opacity="${b.style('background-opacity')}" stroke="${b.style('border-color')}" stroke-dasharray="${b.style('border-style') === 'dashed' ? '6 3' : 'none'}"/>`);
    parts.push(`<text x="${r.x1 + r.w / 2}" y="${r.y1 + 12}" text-anchor="middle" font-size="11" font-weight="600" fill="${colors.muted}">${esc(String(b.data('label') ?? ''))}</text>`);
  }
  for (const e of visible.edges().toArray()) {
    const s = e.sourceEndpoint();
    const t = e.targetEndpoint();
    const stroke = e.style('line-color');
    parts.push(`<line x1="${s.x}" y1="${s.y}" x2="${t.x}" y2="${t.y}" stroke="${stroke}" stroke-width="${parseFloat(e.style('width'))}" marker-end="url(#arrow)"${e.data('idle') ? ' stroke-dasharray="4 3"' : ''}/>`);
    const label = String(e.data('label') ?? '');
    if (label) {
      const m = e.midpoint();
      parts.push(`<text x="${m.x}" y="${m.y - 3}" text-anchor="middle" font-size="8" fill="${colors.muted}">${esc(label)}</text>`);
    }
  }
  for (const n of visible.nodes().filter((x) => !x.isParent()).toArray() as cytoscape.NodeSingular[]) {
    const p = n.position();
    const w = n.width();
    const h = n.height();
    parts.push(`${shapePath(String(n.style('shape')), p.x, p.y, w, h)} fill="${n.style('background-color')}" stroke="${n.style('border-color')}" stroke-width="${parseFloat(n.style('border-width'))}"/>`);
    const lines = String(n.data('label') ?? '').split('\n');
    lines.forEach((l, i) => parts.push(`<text x="${p.x}" y="${p.y + h / 2 + 12 + i * 11}" text-anchor="middle" font-size="10" fill="${colors.text}">${esc(l)}</text>`));
  }
  parts.push('</svg>');
  return new Blob([parts.join('\n')], { type: 'image/svg+xml' });
}

export function exportJson(cy: cytoscape.Core, graph: Graph): Blob {
  const positions: Record<string, { x: number; y: number }> = {};
  cy.nodes().forEach((n) => {
    if (!n.isParent()) positions[n.id()] = { ...n.position() };
  });
  return new Blob([JSON.stringify({ exportedAt: new Date().toISOString(), graph, positions }, null, 2)], { type: 'application/json' });
}
