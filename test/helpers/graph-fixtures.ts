import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildGraph } from '../../main/graph/build';
import type { QueryOutcome } from '../../main/graph/build';
import { samplesOf } from './prom-answers';
import type { RoutingSnapshot } from '../../main/graph/ports';
import { istioQueries, linkerdQueries } from '../../main/graph/queries';
import { DEFAULT_THRESHOLDS } from '../../shared/graph/types';
import type { Graph, GraphType } from '../../shared/graph/types';

interface Fixture {
  contexts: { contextId: string; cluster: string }[];
  namespaces: string[];
  answers: Record<string, Partial<Record<'istio' | 'linkerd', Record<string, unknown>>>>;
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(resolve('test/fixtures/graph', name), 'utf8')) as Fixture;
}

/** Runs the pure builder on a fixture's fixed Prometheus answers (missing concerns answer empty). */
export function graphFromFixture(
  name: string,
  opts: { graphType?: GraphType; injectServiceNodes?: boolean; routing?: Record<string, RoutingSnapshot> } = {},
): Graph {
  const f = loadFixture(name);
  const outcomes: QueryOutcome[] = [];
  for (const c of f.contexts) {
    const plan = { namespaces: f.namespaces, range: '60s', idleEdges: false };
    for (const q of [...istioQueries(plan), ...linkerdQueries(plan)]) {
      const answer = f.answers[c.contextId]?.[q.mesh]?.[q.concern];
      outcomes.push({ contextId: c.contextId, query: q, samples: answer ? samplesOf(answer) : [], error: null, staleSince: null });
    }
  }
  return buildGraph({
    options: {
      graphType: opts.graphType ?? 'workload', namespaces: f.namespaces, injectServiceNodes: opts.injectServiceNodes ?? true,
      idleEdges: false, thresholds: DEFAULT_THRESHOLDS, window: '1m',
    },
    at: Date.UTC(2026, 0, 1),
    contexts: f.contexts,
    outcomes,
    routing: new Map(Object.entries(opts.routing ?? {})),
    queryMs: 0,
  });
}

export const edgeOf = (g: Graph, source: string, target: string, protocol = 'http') => {
  const e = g.edges.find((x) => x.source === source && x.target === target && x.protocol === protocol);
  if (!e) throw new Error(`no edge ${source} -> ${target} (${protocol}); edges: ${g.edges.map((x) => x.id).join(', ')}`);
  return e;
};
export const nodeOf = (g: Graph, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}; nodes: ${g.nodes.map((x) => x.id).join(', ')}`);
  return n;
};
