// Server-side printing (meta.k8s.io/v1 Table). `kubectl get` asks for Tables and prints what
// it receives; built-in kinds get the columns kube-apiserver's printers produce, custom
// resources the CRD's additionalPrinterColumns, evaluated with a small JSONPath subset.
import type { PrinterColumn, ResourceDef } from './discovery.js';
import { isObj, type JsonMap } from './json.js';
import type { KubeObject } from './types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

/** Go's duration.HumanDuration, which is how every AGE column is rendered. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(ts: unknown): string {
  return typeof ts === 'string' ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>';
}

/** JSONPath subset used by CRD printer columns: `.a.b`, `[0]`, `[*]`, `[?(@.k=="v")]`. */
export function jsonPath(obj: unknown, path: string): unknown[] {
  const tokens = path.match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (t.startsWith('.')) {
        if (isObj(v) && v[t.slice(1)] !== undefined) next.push(v[t.slice(1)]);
      } else if (t === '[*]') {
        if (Array.isArray(v)) next.push(...v);
        else if (isObj(v)) next.push(...Object.values(v));
      } else if (/^\[-?\d+\]$/.test(t)) {
        if (Array.isArray(v)) {
          const i = Number(t.slice(1, -1));
          const x = v[i < 0 ? v.length + i : i];
          if (x !== undefined) next.push(x);
        }
      } else {
        const m = /^\[\?\(@\.([\w.-]+)\s*==\s*["']?([^"')]*)["']?\)\]$/.exec(t);
        if (m && Array.isArray(v)) next.push(...v.filter((x) => isObj(x) && String(x[m[1]!]) === m[2]));
      }
    }
    cur = next;
  }
  return cur;
}

interface Printer {
  columns: { name: string; type: string; priority?: number; format?: string; description?: string }[];
  cells(o: KubeObject): unknown[];
}

const s = (o: KubeObject, ...path: string[]): unknown => {
  let cur: unknown = o;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return cur;
};
const list = (v: unknown): JsonMap[] => (Array.isArray(v) ? v.filter(isObj) : []);
const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

const nameCol = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const ageCol = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

function servicePorts(o: KubeObject): string {
  const ports = list(s(o, 'spec', 'ports'));
  if (!ports.length) return '<none>';
  return ports.map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`).join(',');
}

function externalIP(o: KubeObject): string {
  const type = s(o, 'spec', 'type');
  const ingress = list(s(o, 'status', 'loadBalancer', 'ingress'));
  const ext = Array.isArray(s(o, 'spec', 'externalIPs')) ? (s(o, 'spec', 'externalIPs') as unknown[]).map(String) : [];
  if (type === 'LoadBalancer') {
    const ips = [...ingress.map((i) => String(i.ip ?? i.hostname)), ...ext];
    return ips.length ? ips.join(',') : '<pending>';
  }
  if (type === 'ExternalName') return String(s(o, 'spec', 'externalName') ?? '<none>');
  return ext.length ? ext.join(',') : '<none>';
}

function endpointsCell(o: KubeObject): string {
  const eps: string[] = [];
  for (const sub of list(o.subsets)) {
    const ports = list(sub.ports);
    for (const a of list(sub.addresses)) {
      if (!ports.length) eps.push(String(a.ip));
      for (const p of ports) eps.push(`${String(a.ip)}:${String(p.port)}`);
    }
  }
  if (!eps.length) return '<none>';
  return eps.length > 3 ? `${eps.slice(0, 3).join(',')} + ${eps.length - 3} more...` : eps.join(',');
}

function selectorString(sel: unknown): string {
  if (!isObj(sel)) return '<none>';
  const ml = isObj(sel.matchLabels) ? sel.matchLabels : sel;
  const parts = Object.entries(ml)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(',') : '<none>';
}

const PRINTERS: Record<string, Printer> = {
  Namespace: { columns: [nameCol, { name: 'Status', type: 'string' }, ageCol], cells: (o) => [o.metadata.name, s(o, 'status', 'phase') ?? 'Active', age(o.metadata.creationTimestamp)] },
  Node: {
    columns: [nameCol, { name: 'Status', type: 'string' }, { name: 'Roles', type: 'string' }, ageCol, { name: 'Version', type: 'string' }],
    cells: (o) => [
      o.metadata.name,
      list(s(o, 'status', 'conditions')).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady',
      Object.keys(o.metadata.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .join(',') || '<none>',
      age(o.metadata.creationTimestamp),
      s(o, 'status', 'nodeInfo', 'kubeletVersion') ?? '',
    ],
  },
  Pod: {
    columns: [
      nameCol,
      { name: 'Ready', type: 'string' },
      { name: 'Status', type: 'string' },
      { name: 'Restarts', type: 'string' },
      ageCol,
      { name: 'IP', type: 'string', priority: 1 },
      { name: 'Node', type: 'string', priority: 1 },
      { name: 'Nominated Node', type: 'string', priority: 1 },
      { name: 'Readiness Gates', type: 'string', priority: 1 },
    ],
    cells: (o) => {
      const cs = list(s(o, 'status', 'containerStatuses'));
      const total = list(s(o, 'spec', 'containers')).length;
      const status = o.metadata.deletionTimestamp ? 'Terminating' : String(s(o, 'status', 'reason') ?? s(o, 'status', 'phase') ?? 'Pending');
      return [
        o.metadata.name,
        `${cs.filter((c) => c.ready === true).length}/${total}`,
        status,
        String(cs.reduce((a, c) => a + n(c.restartCount), 0)),
        age(o.metadata.creationTimestamp),
        s(o, 'status', 'podIP') ?? '<none>',
        s(o, 'spec', 'nodeName') ?? '<none>',
        '<none>',
        '<none>',
      ];
    },
  },
  Service: {
    columns: [
      nameCol,
      { name: 'Type', type: 'string' },
      { name: 'Cluster-IP', type: 'string' },
      { name: 'External-IP', type: 'string' },
      { name: 'Port(s)', type: 'string' },
      ageCol,
      { name: 'Selector', type: 'string', priority: 1 },
    ],
    cells: (o) => [o.metadata.name, s(o, 'spec', 'type') ?? 'ClusterIP', s(o, 'spec', 'clusterIP') ?? '<none>', externalIP(o), servicePorts(o), age(o.metadata.creationTimestamp), selectorString(s(o, 'spec', 'selector'))],
  },
  Endpoints: { columns: [nameCol, { name: 'Endpoints', type: 'string' }, ageCol], cells: (o) => [o.metadata.name, endpointsCell(o), age(o.metadata.creationTimestamp)] },
  ConfigMap: {
    columns: [nameCol, { name: 'Data', type: 'integer' }, ageCol],
    cells: (o) => [o.metadata.name, Object.keys(isObj(o.data) ? o.data : {}).length + Object.keys(isObj(o.binaryData) ? o.binaryData : {}).length, age(o.metadata.creationTimestamp)],
  },
  Secret: {
    columns: [nameCol, { name: 'Type', type: 'string' }, { name: 'Data', type: 'integer' }, ageCol],
    cells: (o) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(isObj(o.data) ? o.data : {}).length, age(o.metadata.creationTimestamp)],
  },
  ServiceAccount: { columns: [nameCol, { name: 'Secrets', type: 'integer' }, ageCol], cells: (o) => [o.metadata.name, list(o.secrets).length, age(o.metadata.creationTimestamp)] },
  Event: {
    columns: [{ name: 'Last Seen', type: 'string' }, { name: 'Type', type: 'string' }, { name: 'Reason', type: 'string' }, { name: 'Object', type: 'string' }, { name: 'Message', type: 'string' }],
    cells: (o) => [
      age(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp),
      o.type ?? 'Normal',
      o.reason ?? '',
      `${String(s(o, 'involvedObject', 'kind') ?? '').toLowerCase()}/${String(s(o, 'involvedObject', 'name') ?? '')}`,
      o.message ?? '',
    ],
  },
  Deployment: {
    columns: [
      nameCol,
      { name: 'Ready', type: 'string' },
      { name: 'Up-to-date', type: 'integer' },
      { name: 'Available', type: 'integer' },
      ageCol,
      { name: 'Containers', type: 'string', priority: 1 },
      { name: 'Images', type: 'string', priority: 1 },
      { name: 'Selector', type: 'string', priority: 1 },
    ],
    cells: (o) => {
      const cs = list(s(o, 'spec', 'template', 'spec', 'containers'));
      return [
        o.metadata.name,
        `${n(s(o, 'status', 'readyReplicas'))}/${n(s(o, 'spec', 'replicas'))}`,
        n(s(o, 'status', 'updatedReplicas')),
        n(s(o, 'status', 'availableReplicas')),
        age(o.metadata.creationTimestamp),
        cs.map((c) => String(c.name)).join(','),
        cs.map((c) => String(c.image)).join(','),
        selectorString(s(o, 'spec', 'selector')),
      ];
    },
  },
  ReplicaSet: {
    columns: [nameCol, { name: 'Desired', type: 'integer' }, { name: 'Current', type: 'integer' }, { name: 'Ready', type: 'integer' }, ageCol],
    cells: (o) => [o.metadata.name, n(s(o, 'spec', 'replicas')), n(s(o, 'status', 'replicas')), n(s(o, 'status', 'readyReplicas')), age(o.metadata.creationTimestamp)],
  },
};

function crdPrinter(cols: PrinterColumn[]): Printer {
  return {
    columns: [nameCol, ...cols.map((c) => ({ name: c.name, type: c.type === 'date' ? 'date' : c.type, ...(c.priority ? { priority: c.priority } : {}), ...(c.description ? { description: c.description } : {}) }))],
    cells: (o) => [
      o.metadata.name,
      ...cols.map((c) => {
        const found = jsonPath(o, c.jsonPath);
        if (found.length === 0) return null;
        const v = found.length === 1 ? found[0] : found;
        if (c.type === 'date') return age(v);
        if (c.type === 'string') return typeof v === 'string' ? v : JSON.stringify(v);
        return v;
      }),
    ],
  };
}

function printerFor(def: ResourceDef): Printer {
  if (def.builtin && PRINTERS[def.kind]) return PRINTERS[def.kind]!;
  if (def.kind === 'CustomResourceDefinition') {
    return { columns: [nameCol, { name: 'Created At', type: 'date' }], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] };
  }
  return crdPrinter(def.columns);
}

function rowObject(o: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  meta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  withColumns = true,
): JsonMap {
  const p = printerFor(def);
  const rows = objects.map((o) => {
    const row: JsonMap = { cells: p.cells(o).map((c) => (c === undefined ? null : c)) };
    const obj = rowObject(o, include);
    if (obj) row.object = obj;
    return row;
  });
  const metadata: JsonMap = {};
  if (meta.resourceVersion) metadata.resourceVersion = meta.resourceVersion;
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  const table: JsonMap = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: withColumns ? p.columns.map((c) => ({ priority: 0, description: '', format: '', ...c })) : [], rows };
  return table;
}
