import type cytoscape from 'cytoscape';

export const LAYOUTS = ['dagre', 'breadthfirst', 'concentric', 'grid', 'fcose'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

/** Above this many nodes the graph is laid out box by box (see `layoutGraph`). */
export const LARGE_GRAPH = 300;

export function layoutOptions(name: LayoutName, large: boolean, eles?: cytoscape.Collection, fit = true): cytoscape.LayoutOptions {
  // Laid out inside a box: a square of about the room its nodes need (not the whole viewport).
  const side = eles ? Math.max(120, Math.sqrt(eles.nodes().length) * 90) : 0;
  const base = { animate: false, fit, padding: 30, ...(eles ? { eles, boundingBox: { x1: 0, y1: 0, w: side, h: side } } : {}) };
  switch (name) {
    case 'dagre':
      // Kiali's dagre: left to right, network-simplex ranks.
      return { ...base, name: 'dagre', rankDir: 'LR', nodeSep: 22, rankSep: 80, edgeSep: 8, ranker: large ? 'longest-path' : 'network-simplex' } as cytoscape.LayoutOptions;
    case 'fcose':
      return { ...base, name: 'fcose', quality: large ? 'draft' : 'default', randomize: true, nodeRepulsion: 6000, idealEdgeLength: 80, numIter: large ? 800 : 2500 } as cytoscape.LayoutOptions;
    case 'breadthfirst':
      return { ...base, name: 'breadthfirst', directed: true, spacingFactor: 1.1, avoidOverlap: true };
    case 'concentric':
      return { ...base, name: 'concentric', minNodeSpacing: 20, avoidOverlap: true };
    default:
      return { ...base, name: 'grid', avoidOverlap: true, avoidOverlapPadding: 20 };
  }
}

function busiestInbound(edges: cytoscape.EdgeCollection): cytoscape.EdgeCollection {
  const best = new Map<string, cytoscape.EdgeSingular>();
  edges.forEach((e) => {
    const t = e.target().id();
    const cur = best.get(t);
    if (!cur || Number(e.data('rate')) > Number(cur.data('rate'))) best.set(t, e);
  });
  return edges.filter((e) => best.get(e.target().id()) === e);
}

interface Block { w: number; h: number; nodes: cytoscape.NodeCollection; x1: number; y1: number }

const GAP = 70;

/** Shelf packing: blocks in rows about as wide as the whole is tall, biggest first. */
function pack(blocks: Block[]): { w: number; h: number } {
  if (blocks.length === 0) return { w: 0, h: 0 };
  blocks.sort((a, b) => b.h - a.h);
  const area = blocks.reduce((s, b) => s + (b.w + GAP) * (b.h + GAP), 0);
  const rowWidth = Math.max(Math.max(...blocks.map((b) => b.w)), Math.sqrt(area) * 1.4);
  let x = 0;
  let y = 0;
  let rowH = 0;
  let w = 0;
  for (const b of blocks) {
    if (x > 0 && x + b.w > rowWidth) {
      y += rowH + GAP;
      x = 0;
      rowH = 0;
    }
    const dx = x - b.x1;
    const dy = y - b.y1;
    b.nodes.forEach((n) => {
      const p = n.position();
      n.position({ x: p.x + dx, y: p.y + dy });
    });
    x += b.w + GAP;
    rowH = Math.max(rowH, b.h);
    w = Math.max(w, x - GAP);
  }
  return { w, h: y + rowH };
}

/** Lays out the members of one box (recursively), returns the block they form. */
function layoutBox(cy: cytoscape.Core, name: LayoutName, box: cytoscape.NodeSingular | null): Block | null {
  const kids = box ? box.children() : cy.nodes().orphans();
  const leaves = kids.filter((n) => !n.isParent());
  const blocks: Block[] = [];
  if (leaves.length > 0) {
    // Each box's own nodes with the edges between them: small graphs, so even dagre is quick.
    // Part of a large graph: the quick variants (longest-path ranks, draft force layout). Dagre
    // ranks on each node's busiest inbound edge only (a forest): dense random call graphs would
    // otherwise make it route thousands of dummy nodes through every rank.
    const inner = leaves.edgesWith(leaves);
    const ranked = name === 'dagre' ? busiestInbound(inner) : inner;
    cy.layout(layoutOptions(name, true, leaves.union(ranked), false)).run();
    const bb = leaves.boundingBox({ includeLabels: true });
    blocks.push({ w: bb.w, h: bb.h, nodes: leaves, x1: bb.x1, y1: bb.y1 });
  }
  for (const sub of kids.filter((n) => n.isParent()).toArray() as cytoscape.NodeSingular[]) {
    const b = layoutBox(cy, name, sub);
    if (b) blocks.push(b);
  }
  if (blocks.length === 0) return null;
  const size = pack(blocks);
  const nodes = blocks.reduce((c, b) => c.union(b.nodes), cy.collection() as cytoscape.NodeCollection);
  // Room for the box's padding and label.
  return { w: size.w + 40, h: size.h + 40, nodes, x1: -20, y1: -20 };
}

/**
 * Small graphs: one layout over everything (dagre ranks cross-namespace flow). Large graphs:
 * each box laid out on its own and the boxes packed, which keeps namespaces apart and costs a
 * sum of small layouts instead of one huge compound one (dagre on 1,000 compound nodes takes minutes).
 */
export function layoutGraph(cy: cytoscape.Core, name: LayoutName): void {
  const count = cy.nodes().filter((n) => !n.isParent()).length;
  if (count <= LARGE_GRAPH) {
    cy.layout(layoutOptions(name, false)).run();
    return;
  }
  layoutBox(cy, name, null);
  cy.fit(undefined, 30);
}
