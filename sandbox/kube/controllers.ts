// A tiny controller-manager + scheduler + kubelet, so the sandbox behaves like a cluster
// rather than a key-value store: a Deployment gets a ReplicaSet and Running pods (with the
// Istio/Linkerd sidecars the namespace asks for), Services get Endpoints, deleted owners take
// their dependents with them, terminating namespaces empty themselves, CRDs come and go with
// their custom resources. Everything is reconciled asynchronously, as in a real cluster:
// writes return first, controllers catch up a tick later (`whenIdle()` waits for them).
import { createHash } from 'node:crypto';
import { resourceKey, type ResourceDef } from './discovery.js';
import { clone, isObj, asString, type JsonMap } from './json.js';
import { fromStructuredSelector, matchLabels } from './selectors.js';
import { randomSuffix } from './admission.js';
import type { KubeApi } from './api.js';
import type { StoredEvent } from './store.js';
import type { KubeObject, OwnerReference } from './types.js';

export const NODE_NAME = 'sandbox-control-plane';
const HOST_IP = '172.18.0.2';
const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Like the pod-template-hash label: a short stable hash of the pod template. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[digest[i]! % alphabet.length];
  return s;
}

function ownedBy(obj: KubeObject, uid: string | undefined): boolean {
  return !!uid && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
}

function ownerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function num(v: unknown, dflt = 0): number {
  return typeof v === 'number' ? v : dflt;
}

function podReady(pod: KubeObject): boolean {
  const st = isObj(pod.status) ? pod.status : {};
  const conds = Array.isArray(st.conditions) ? st.conditions : [];
  return st.phase === 'Running' && conds.some((c) => isObj(c) && c.type === 'Ready' && c.status === 'True');
}

/** Keep a condition's timestamps when nothing about it changed, so status writes settle. */
function condition(old: unknown, type: string, status: string, reason: string, message: string): JsonMap {
  const prev = Array.isArray(old) ? old.find((c) => isObj(c) && c.type === type) : undefined;
  if (isObj(prev) && prev.status === status && prev.reason === reason && prev.message === message) return prev;
  const t = now();
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export class Controllers {
  private pending = new Map<string, () => void>();
  private timer: NodeJS.Immediate | undefined;
  private idle: (() => void)[] = [];
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly defs: (group: string, plural: string) => ResourceDef | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.defs = (group, plural) => api.registry.all().find((d) => d.group === group && d.plural === plural);
  }

  start(): void {
    this.rebuildRegistry();
    this.unsubscribe = this.api.store.onChange((ev) => this.onEvent(ev));
    // Bring whatever was loaded (seed or state file) up to date.
    for (const key of this.api.store.keys()) for (const o of this.api.store.list(key)) this.onEvent({ rv: 0, key, type: 'ADDED', object: o, previous: undefined });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearImmediate(this.timer);
    this.pending.clear();
    this.flushIdle();
  }

  /** Resolves once every controller has caught up with the latest change. */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0 && !this.timer) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private flushIdle(): void {
    const waiters = this.idle;
    this.idle = [];
    for (const w of waiters) w();
  }

  private schedule(id: string, fn: () => void): void {
    if (this.stopped) return;
    this.pending.set(id, fn);
    this.timer ??= setImmediate(() => this.run());
  }

  private run(): void {
    this.timer = undefined;
    const tasks = [...this.pending.values()];
    this.pending.clear();
    for (const t of tasks) {
      try {
        t();
      } catch (err) {
        this.onError(err);
      }
    }
    if (this.pending.size === 0 && !this.timer) this.flushIdle();
  }

  private rebuildRegistry(): void {
    this.api.registry.rebuild(this.api.store.list(CRD_KEY));
  }

  private onEvent(ev: StoredEvent): void {
    const o = ev.object;
    const ns = o.metadata.namespace;
    const name = o.metadata.name ?? '';
    if (ev.key === CRD_KEY) {
      // Synchronous so that a CR applied right after its CRD is already served.
      this.rebuildRegistry();
      if (ev.type === 'DELETED') this.schedule(`crd-cleanup:${name}`, () => this.cleanupCrd(o));
    }
    if (ev.type === 'DELETED' && o.metadata.uid) {
      const uid = o.metadata.uid;
      this.schedule(`gc:${uid}`, () => this.collectDependents(uid));
    }
    if (ev.type !== 'DELETED' && o.metadata.deletionTimestamp && o.metadata.finalizers?.includes('orphan')) {
      this.schedule(`orphan:${o.metadata.uid ?? ''}`, () => this.orphan(ev.key, o));
    }
    switch (ev.key) {
      case 'apps/deployments':
        this.schedule(`deploy:${ns}/${name}`, () => this.reconcileDeployment(ns ?? '', name));
        break;
      case 'apps/replicasets': {
        this.schedule(`rs:${ns}/${name}`, () => this.reconcileReplicaSet(ns ?? '', name));
        for (const r of o.metadata.ownerReferences ?? []) {
          if (r.kind === 'Deployment') this.schedule(`deploy:${ns}/${r.name}`, () => this.reconcileDeployment(ns ?? '', r.name));
        }
        break;
      }
      case '/pods': {
        if (ev.type !== 'DELETED') this.schedule(`pod:${ns}/${name}`, () => this.runPod(ns ?? '', name));
        for (const r of o.metadata.ownerReferences ?? []) {
          if (r.kind === 'ReplicaSet') this.schedule(`rs:${ns}/${r.name}`, () => this.reconcileReplicaSet(ns ?? '', r.name));
        }
        this.schedule(`endpoints:${ns}`, () => this.reconcileEndpoints(ns ?? ''));
        break;
      }
      case '/services':
        this.schedule(`endpoints:${ns}`, () => this.reconcileEndpoints(ns ?? ''));
        if (ev.type !== 'DELETED') this.schedule(`lb:${ns}/${name}`, () => this.loadBalancer(ns ?? '', name));
        break;
      case '/namespaces':
        if (ev.type !== 'DELETED' && o.metadata.deletionTimestamp) this.schedule(`ns:${name}`, () => this.finalizeNamespace(name));
        break;
    }
  }

  private def(group: string, plural: string): ResourceDef {
    const d = this.defs(group, plural);
    if (!d) throw new Error(`resource ${plural}.${group} not registered`);
    return d;
  }

  private cleanupCrd(crd: KubeObject): void {
    const spec = isObj(crd.spec) ? crd.spec : {};
    const names = isObj(spec.names) ? spec.names : {};
    const key = resourceKey({ group: String(spec.group), plural: String(names.plural) });
    if (this.api.registry.all().some((d) => resourceKey(d) === key)) return; // re-created meanwhile
    for (const o of this.api.store.list(key)) this.api.store.remove(key, o.metadata.namespace, o.metadata.name ?? '');
  }

  /** Background cascading deletion: dependents of a deleted owner are deleted too. */
  private collectDependents(uid: string): void {
    for (const d of this.api.registry.all()) {
      for (const o of this.api.store.list(resourceKey(d))) {
        if (!ownedBy(o, uid) || o.metadata.deletionTimestamp) continue;
        try {
          this.api.delete(d, o.metadata.namespace, o.metadata.name ?? '');
        } catch {
          // already gone
        }
      }
    }
  }

  private orphan(key: string, owner: KubeObject): void {
    const uid = owner.metadata.uid;
    for (const d of this.api.registry.all()) {
      for (const o of this.api.store.list(resourceKey(d))) {
        if (!ownedBy(o, uid)) continue;
        const next = clone(o);
        next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        this.api.update(d, o.metadata.namespace, o.metadata.name ?? '', next, { scope: 'all' });
      }
    }
    const def = this.api.registry.all().find((d) => resourceKey(d) === key);
    const cur = def && this.api.store.get(key, owner.metadata.namespace, owner.metadata.name ?? '');
    if (!def || !cur) return;
    const next = clone(cur);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== 'orphan');
    this.api.update(def, cur.metadata.namespace, cur.metadata.name ?? '', next, { scope: 'all' });
  }

  private finalizeNamespace(name: string): void {
    const ns = this.api.store.get('/namespaces', undefined, name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    for (const d of this.api.registry.all()) {
      if (!d.namespaced) continue;
      const key = resourceKey(d);
      for (const o of this.api.store.list(key, { namespace: name })) this.api.store.remove(key, name, o.metadata.name ?? '');
    }
    this.api.store.remove('/namespaces', undefined, name);
  }

  // ---- Deployment → ReplicaSet ----

  private reconcileDeployment(ns: string, name: string): void {
    const dDef = this.def('apps', 'deployments');
    const rsDef = this.def('apps', 'replicasets');
    const dep = this.api.store.get('apps/deployments', ns, name);
    if (!dep || dep.metadata.deletionTimestamp) return;
    const spec = isObj(dep.spec) ? dep.spec : {};
    const template = isObj(spec.template) ? spec.template : {};
    const desired = num(spec.replicas, 1);
    const hash = templateHash(template);
    const owned = this.api.store.list('apps/replicasets', { namespace: ns }).filter((rs) => ownedBy(rs, dep.metadata.uid));
    const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    const maxRevision = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const rsName = `${name}-${hash}`;
    const selector = isObj(spec.selector) ? spec.selector : {};
    if (!current) {
      const tplMeta = isObj(template.metadata) ? template.metadata : {};
      const podLabels = { ...(isObj(tplMeta.labels) ? (tplMeta.labels as Record<string, string>) : {}), 'pod-template-hash': hash };
      const rs: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: ns,
          labels: podLabels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(desired + 1),
            'deployment.kubernetes.io/revision': String(maxRevision + 1),
          },
          ownerReferences: [ownerRef(dep)],
        },
        spec: {
          replicas: desired,
          selector: { ...clone(selector), matchLabels: { ...(isObj(selector.matchLabels) ? (selector.matchLabels as Record<string, string>) : {}), 'pod-template-hash': hash } },
          template: { ...clone(template), metadata: { ...clone(tplMeta), labels: podLabels } },
        },
      };
      current = this.api.create(rsDef, ns, rs, { scope: 'all' });
    } else if (num(isObj(current.spec) ? current.spec.replicas : 0) !== desired) {
      const next = clone(current);
      next.spec = { ...(isObj(next.spec) ? next.spec : {}), replicas: desired };
      next.metadata.annotations = { ...next.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(desired) };
      current = this.api.update(rsDef, ns, current.metadata.name ?? '', next, { scope: 'all' });
    }
    // Roll out at once: older ReplicaSets go to zero, history beyond the limit is pruned.
    const old = owned.filter((rs) => rs.metadata.uid !== current.metadata.uid).sort((a, b) => revisionOf(b) - revisionOf(a));
    const limit = num(spec.revisionHistoryLimit, 10);
    old.forEach((rs, i) => {
      if (i >= limit) {
        this.api.delete(rsDef, ns, rs.metadata.name ?? '');
      } else if (num(isObj(rs.spec) ? rs.spec.replicas : 0) !== 0) {
        const next = clone(rs);
        next.spec = { ...(isObj(next.spec) ? next.spec : {}), replicas: 0 };
        this.api.update(rsDef, ns, rs.metadata.name ?? '', next, { scope: 'all' });
      }
    });
    // Deployment status from its ReplicaSets.
    const all = [current, ...old];
    const st = (rs: KubeObject, f: string) => num(isObj(rs.status) ? rs.status[f] : 0);
    const replicas = all.reduce((n, rs) => n + st(rs, 'replicas'), 0);
    const ready = all.reduce((n, rs) => n + st(rs, 'readyReplicas'), 0);
    const available = all.reduce((n, rs) => n + st(rs, 'availableReplicas'), 0);
    const updated = st(current, 'replicas');
    const oldStatus = isObj(dep.status) ? dep.status : {};
    const complete = updated === desired && replicas === desired && available === desired;
    const status: JsonMap = {
      observedGeneration: dep.metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      conditions: [
        condition(
          oldStatus.conditions,
          'Available',
          available >= desired ? 'True' : 'False',
          available >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          available >= desired ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        ),
        condition(
          oldStatus.conditions,
          'Progressing',
          'True',
          complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          complete ? `ReplicaSet "${current.metadata.name ?? ''}" has successfully progressed.` : `ReplicaSet "${current.metadata.name ?? ''}" is progressing.`,
        ),
      ],
    };
    if (desired - available > 0) status.unavailableReplicas = desired - available;
    if (replicas === 0) {
      delete status.readyReplicas;
      delete status.availableReplicas;
    }
    const revision = current.metadata.annotations?.['deployment.kubernetes.io/revision'];
    const next = clone(dep);
    next.status = status;
    if (revision) next.metadata.annotations = { ...next.metadata.annotations, 'deployment.kubernetes.io/revision': revision };
    this.api.update(dDef, ns, name, next, { scope: 'all' });
  }

  // ---- ReplicaSet → Pods ----

  private reconcileReplicaSet(ns: string, name: string): void {
    const rsDef = this.def('apps', 'replicasets');
    const podDef = this.def('', 'pods');
    const rs = this.api.store.get('apps/replicasets', ns, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = isObj(rs.spec) ? rs.spec : {};
    const desired = num(spec.replicas, 1);
    const template = isObj(spec.template) ? spec.template : {};
    const tplMeta = isObj(template.metadata) ? template.metadata : {};
    const pods = this.api.store.list('/pods', { namespace: ns }).filter((p) => ownedBy(p, rs.metadata.uid) && !p.metadata.deletionTimestamp);
    for (let i = pods.length; i < desired; i++) {
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${randomSuffix()}`,
          generateName: `${name}-`,
          namespace: ns,
          labels: isObj(tplMeta.labels) ? (clone(tplMeta.labels) as Record<string, string>) : {},
          ownerReferences: [ownerRef(rs)],
        },
        spec: clone(isObj(template.spec) ? template.spec : {}),
      };
      if (isObj(tplMeta.annotations)) pod.metadata.annotations = clone(tplMeta.annotations) as Record<string, string>;
      this.api.create(podDef, ns, pod, { scope: 'all' });
    }
    if (pods.length > desired) {
      const victims = [...pods].sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp))).slice(0, pods.length - desired);
      for (const p of victims) this.api.delete(podDef, ns, p.metadata.name ?? '');
    }
    const live = this.api.store.list('/pods', { namespace: ns }).filter((p) => ownedBy(p, rs.metadata.uid) && !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    const status: JsonMap = { replicas: live.length, fullyLabeledReplicas: live.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation ?? 1 };
    if (live.length === 0) {
      delete status.fullyLabeledReplicas;
      delete status.readyReplicas;
      delete status.availableReplicas;
    }
    const next = clone(rs);
    next.status = status;
    this.api.update(rsDef, ns, name, next, { scope: 'all' });
  }

  // ---- scheduler + kubelet: every pod starts at once and is Ready ----

  private runPod(ns: string, name: string): void {
    const podDef = this.def('', 'pods');
    const pod = this.api.store.get('/pods', ns, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const st = isObj(pod.status) ? pod.status : {};
    const spec = isObj(pod.spec) ? pod.spec : {};
    if (st.phase && st.phase !== 'Pending' && spec.nodeName) return;
    const started = now();
    const containers = Array.isArray(spec.containers) ? spec.containers.filter(isObj) : [];
    const inits = Array.isArray(spec.initContainers) ? spec.initContainers.filter(isObj) : [];
    const ip = this.api.allocators.podIP();
    const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: started });
    const status: JsonMap = {
      phase: 'Running',
      conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
      hostIP: HOST_IP,
      hostIPs: [{ ip: HOST_IP }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: started,
      qosClass: 'BestEffort',
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${String(c.image)}@sha256:${createHash('sha256').update(String(c.image)).digest('hex')}`,
        containerID: `containerd://${createHash('sha256').update(`${ns}/${name}/${String(c.name)}`).digest('hex')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: started } },
        lastState: {},
      })),
    };
    if (inits.length) {
      status.initContainerStatuses = inits.map((c) => ({
        name: c.name,
        image: c.image,
        ready: true,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
        lastState: {},
      }));
    }
    const next = clone(pod);
    next.spec = { ...spec, nodeName: asString(spec.nodeName) ?? NODE_NAME };
    next.status = status;
    this.api.update(podDef, ns, name, next, { scope: 'all' });
  }

  // ---- Endpoints ----

  private reconcileEndpoints(ns: string): void {
    const epDef = this.def('', 'endpoints');
    const services = this.api.store.list('/services', { namespace: ns });
    const pods = this.api.store.list('/pods', { namespace: ns }).filter((p) => !p.metadata.deletionTimestamp && isObj(p.status) && typeof p.status.podIP === 'string');
    const seen = new Set<string>();
    for (const svc of services) {
      const spec = isObj(svc.spec) ? svc.spec : {};
      const name = svc.metadata.name ?? '';
      if (!isObj(spec.selector)) continue; // selector-less services keep hand-written endpoints
      seen.add(name);
      const sel = fromStructuredSelector({ matchLabels: spec.selector });
      const members = pods.filter((p) => matchLabels(sel, p.metadata.labels));
      const addr = (p: KubeObject) => ({
        ip: (p.status as JsonMap).podIP,
        nodeName: isObj(p.spec) ? (p.spec.nodeName ?? NODE_NAME) : NODE_NAME,
        targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
      });
      const byIp = (a: JsonMap, b: JsonMap) => String(a.ip).localeCompare(String(b.ip));
      const ready = members.filter(podReady).map(addr).sort(byIp);
      const notReady = members.filter((p) => !podReady(p)).map(addr).sort(byIp);
      const ports = (Array.isArray(spec.ports) ? spec.ports.filter(isObj) : []).map((p) => {
        let port = p.targetPort ?? p.port;
        if (typeof port === 'string') port = this.namedPort(members, port) ?? p.port;
        const out: JsonMap = { port, protocol: p.protocol ?? 'TCP' };
        if (p.name) out.name = p.name;
        if (p.appProtocol) out.appProtocol = p.appProtocol;
        return out;
      });
      const subset: JsonMap = { ports };
      if (ready.length) subset.addresses = ready;
      if (notReady.length) subset.notReadyAddresses = notReady;
      const ep: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace: ns, ...(svc.metadata.labels ? { labels: clone(svc.metadata.labels) } : {}) },
      };
      if (ready.length || notReady.length) ep.subsets = [subset];
      const existing = this.api.store.get('/endpoints', ns, name);
      if (!existing) this.api.create(epDef, ns, ep, { scope: 'all' });
      else this.api.update(epDef, ns, name, { ...ep, metadata: { ...ep.metadata, resourceVersion: existing.metadata.resourceVersion } }, { scope: 'all' });
    }
    // Endpoints whose service disappeared go too (those the controller manages have labels
    // copied from a service; hand-written ones for selector-less services are kept).
    for (const ep of this.api.store.list('/endpoints', { namespace: ns })) {
      const name = ep.metadata.name ?? '';
      if (!seen.has(name) && !services.some((s) => s.metadata.name === name)) this.api.store.remove('/endpoints', ns, name);
    }
  }

  private namedPort(pods: KubeObject[], portName: string): number | undefined {
    for (const p of pods) {
      const cs = isObj(p.spec) && Array.isArray(p.spec.containers) ? p.spec.containers : [];
      for (const c of cs) {
        for (const port of isObj(c) && Array.isArray(c.ports) ? c.ports : []) {
          if (isObj(port) && port.name === portName && typeof port.containerPort === 'number') return port.containerPort;
        }
      }
    }
    return undefined;
  }

  /** A cloud controller for type=LoadBalancer: hand out an external IP once. */
  private loadBalancer(ns: string, name: string): void {
    const svc = this.api.store.get('/services', ns, name);
    if (!svc || !isObj(svc.spec) || svc.spec.type !== 'LoadBalancer') return;
    const st = isObj(svc.status) ? svc.status : {};
    const lb = isObj(st.loadBalancer) ? st.loadBalancer : {};
    if (Array.isArray(lb.ingress) && lb.ingress.length) return;
    const taken = this.api.store
      .list('/services')
      .map((s) => (isObj(s.status) && isObj(s.status.loadBalancer) && Array.isArray(s.status.loadBalancer.ingress) ? s.status.loadBalancer.ingress.length : 0))
      .reduce((a, b) => a + b, 0);
    const next = clone(svc);
    next.status = { loadBalancer: { ingress: [{ ip: `172.18.255.${200 + taken}`, ipMode: 'VIP' }] } };
    this.api.update(this.def('', 'services'), ns, name, next, { scope: 'all' });
  }
}
