import type { GraphBox, GraphNode } from '../../../shared/graph/types';
import { idPart } from '../work';

/**
 * Compound parents: namespace boxes always, cluster boxes when more than one cluster is drawn,
 * app boxes around the versions of an app (versioned-app graph) when it has more than one.
 */
export function appendBoxes(nodes: GraphNode[], opts: { appBoxes: boolean }): GraphBox[] {
  const clusters = new Set(nodes.map((n) => n.cluster));
  const multi = clusters.size > 1;
  const boxes = new Map<string, GraphBox>();
  if (multi) for (const c of clusters) boxes.set(`box:cluster:${idPart(c)}`, { id: `box:cluster:${idPart(c)}`, kind: 'cluster', parent: null, label: c, cluster: c });

  const versions = new Map<string, number>();
  if (opts.appBoxes) for (const n of nodes) if (n.type === 'app' && n.version !== undefined) {
    const k = `${n.cluster}|${n.namespace}|${n.app}`;
    versions.set(k, (versions.get(k) ?? 0) + 1);
  }

  for (const n of nodes) {
    const clusterBox = multi ? `box:cluster:${idPart(n.cluster)}` : null;
    if (n.type === 'unknown') {
      n.parent = clusterBox;
      continue;
    }
    const nsId = `box:ns:${idPart(n.cluster)}:${n.namespace}`;
    if (!boxes.has(nsId)) boxes.set(nsId, { id: nsId, kind: 'namespace', parent: clusterBox, label: n.namespace, cluster: n.cluster, namespace: n.namespace });
    n.parent = nsId;
    if (opts.appBoxes && n.type === 'app' && n.version !== undefined && (versions.get(`${n.cluster}|${n.namespace}|${n.app}`) ?? 0) > 1) {
      const appId = `box:app:${idPart(n.cluster)}:${n.namespace}:${n.app}`;
      if (!boxes.has(appId)) boxes.set(appId, { id: appId, kind: 'app', parent: nsId, label: n.app ?? '', cluster: n.cluster, namespace: n.namespace });
      n.parent = appId;
    }
  }
  return [...boxes.values()];
}
