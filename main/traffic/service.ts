/**
 * The traffic capability: list routing, read a service's model, plan edits (kept for review),
 * apply them guarded, undo, re-check, audit. Built on the pure planChange / applyPlanned pair,
 * which the canary controller uses directly (see `change` for the one-call form).
 */
import { randomUUID } from 'node:crypto';
import type { KubeSources } from '../../shared/contract/kube';
import type { TrafficList } from '../../shared/contract/traffic';
import { ApiError } from '../../shared/errors';
import { refKey } from '../../shared/traffic/model';
import type { ApplyResult, AuditEntry, ObjectRef, OwnerInfo, PlanView, RoutingKind, RoutingTarget, TrafficOp, TrafficState } from '../../shared/traffic/model';
import type { KubeClient } from '../kube/service';
import { adapterFor } from './adapters';
import { applyPlanned } from './apply';
import type { AppliedChange, ApplyOptions } from './apply';
import { AuditLog } from './audit';
import { deepEqual, isKubeObject } from './json';
import type { KubeObject } from './json';
import { detectOwners } from './ownership';
import { planChange, planRestore, readModel } from './plan';
import type { PlannedChange, PlannedObjectWrite } from './plan';
import { listRouting, readContext, readObject, readSnapshot } from './read';
import { emptyContext } from './adapters';
import { toYaml } from './render';

/** What the traffic service needs from the kube capability (KubeService satisfies it). */
export interface TrafficKube {
  clientFor(contextId: string): KubeClient;
  sources(): Promise<KubeSources>;
}

export interface TrafficServiceOptions {
  dataDir: string;
  /** How long a plan stays applicable (default 15 min). */
  planTtlMs?: number;
  applyOptions?: ApplyOptions;
  now?: () => Date;
}

export interface ObjectSelector {
  kind: RoutingKind;
  name: string;
  apiVersion?: string;
}

export interface TrafficService {
  list(contextId: string, namespace: string, signal?: AbortSignal): Promise<TrafficList>;
  get(input: { contextId: string; namespace: string; service: string; object?: ObjectSelector }, signal?: AbortSignal): Promise<TrafficState>;
  plan(input: { contextId: string; namespace: string; service: string; object?: ObjectSelector; op: TrafficOp }, signal?: AbortSignal): Promise<PlanView>;
  planUndo(auditId: string, signal?: AbortSignal): Promise<PlanView>;
  apply(planId: string, opts: { confirmOwnership: boolean }, signal?: AbortSignal): Promise<ApplyResult>;
  verify(auditId: string, signal?: AbortSignal): Promise<ApplyResult>;
  /**
   * Plan on a fresh read and apply at once, audited — for programs (the canary controller's
   * weight step): `change({ contextId, object: ref, op: { op: 'setWeights', weights } })`.
   * Owned objects are refused unless `confirmOwnership`. Invalid ops throw BAD_INPUT.
   */
  change(
    input: { contextId: string; object: ObjectRef; service?: string; op: TrafficOp; confirmOwnership?: boolean; actor?: string },
    signal?: AbortSignal,
  ): Promise<ApplyResult & { plan: PlanView }>;
  audit(opts?: { contextId?: string; limit?: number }): Promise<AuditEntry[]>;
  exportAudit(format: 'jsonl' | 'csv'): Promise<{ filename: string; mime: string; content: string }>;
  readonly auditLog: AuditLog;
}

interface StoredPlan {
  view: PlanView;
  change: Pick<PlannedChange, 'writes' | 'summary' | 'owners'>;
  contextId: string;
  expires: number;
}

const MAX_PLANS = 500;

export function createTrafficService(kube: TrafficKube, opts: TrafficServiceOptions): TrafficService {
  const audit = new AuditLog(opts.dataDir);
  const plans = new Map<string, StoredPlan>();
  const ttl = opts.planTtlMs ?? 15 * 60_000;
  const now = opts.now ?? (() => new Date());

  const userOf = async (contextId: string): Promise<{ name: string; user: string }> => {
    const s = await kube.sources();
    const c = s.contexts.find((x) => x.id === contextId);
    return { name: c?.name ?? contextId, user: c?.user ?? 'unknown' };
  };

  const prune = () => {
    const t = Date.now();
    for (const [k, p] of plans) if (p.expires < t) plans.delete(k);
    while (plans.size > MAX_PLANS) plans.delete(plans.keys().next().value as string);
  };

  const store = (contextId: string, change: Pick<PlannedChange, 'writes' | 'summary' | 'owners'>, issues: PlanView['issues'], undoOf: string | null): PlanView => {
    prune();
    const planId = randomUUID();
    const expires = Date.now() + ttl;
    const view: PlanView = {
      planId,
      contextId,
      summary: change.summary,
      writes: change.writes.map((w) => ({
        object: w.ref,
        action: w.action === 'delete' ? 'patch' : w.action,
        resourceVersion: w.resourceVersion,
        patch: w.patch,
        beforeYaml: toYaml(w.before),
        afterYaml: toYaml(w.after),
        diff: w.diff,
      })),
      issues,
      owners: change.owners,
      applicable: issues.length === 0 && change.writes.length > 0,
      undoOf,
      expiresAt: new Date(expires).toISOString(),
    };
    if (view.applicable) plans.set(planId, { view, change, contextId, expires });
    return view;
  };

  /** Which object steers `service`: the named one, or the first by preference (VS, HTTPRoute, TrafficSplit). */
  const findObject = async (contextId: string, namespace: string, service: string, sel: ObjectSelector | undefined, signal?: AbortSignal) => {
    const client = kube.clientFor(contextId);
    const { objects } = await listRouting(client, namespace, signal);
    const forService = objects.filter((o) => adapterFor(o.kind)?.services(o).includes(service));
    let pick: KubeObject | undefined;
    if (sel) {
      pick = objects.find((o) => o.kind === sel.kind && o.metadata.name === sel.name && (!sel.apiVersion || o.apiVersion === sel.apiVersion));
      if (!pick) throw new ApiError('NOT_FOUND', `${sel.kind} ${namespace}/${sel.name} was not found on context "${client.contextName}".`, { field: 'object' });
    } else {
      pick = forService[0];
      if (!pick) {
        throw new ApiError('NOT_FOUND', `No VirtualService, HTTPRoute or TrafficSplit steers service "${service}" in namespace "${namespace}" on context "${client.contextName}".`, {
          field: 'service',
          details: { namespace, service },
        });
      }
    }
    return { client, pick, alternatives: forService.filter((o) => o !== pick) };
  };

  const refOf = (o: KubeObject): ObjectRef => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });

  const toResult = (applied: AppliedChange, auditId: string): ApplyResult => {
    const bad = applied.writes.find((w) => w.outcome !== 'landed' && w.outcome !== 'noop');
    const err = bad?.error ?? null;
    return {
      outcome: applied.outcome,
      message: applied.message,
      auditId,
      writes: applied.writes.map((w) => ({
        object: w.write.ref,
        outcome: w.outcome,
        resourceVersion: w.result?.metadata.resourceVersion ?? null,
        reapplied: w.reapplied,
        message: w.message,
      })),
      conflictDiff: bad?.conflictDiff ?? null,
      error: err ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } : null,
    };
  };

  const record = async (
    contextId: string,
    summary: string,
    applied: AppliedChange,
    writes: PlannedObjectWrite[],
    undoOf: string | null,
    actor?: string,
  ): Promise<string> => {
    const who = await userOf(contextId).catch(() => ({ name: contextId, user: 'unknown' }));
    const id = randomUUID();
    const entry: AuditEntry = {
      id,
      time: now().toISOString(),
      contextId,
      contextName: who.name,
      user: actor ? `${who.user} (${actor})` : who.user,
      summary,
      objects: writes.map((w) => refKey(w.ref)),
      diff: writes.map((w) => w.diff).join('\n'),
      outcome: applied.outcome,
      message: applied.message,
      undoOf,
      writes: writes.map((w) => {
        const r = applied.writes.find((a) => a.write === w);
        // What the object really became (the server's answer) when it landed, so undo compares against that.
        const after = r?.outcome === 'landed' && r.result && w.action !== 'delete' ? r.result : w.after;
        return {
          object: w.ref,
          action: w.action === 'delete' ? ('patch' as const) : w.action,
          patch: w.patch,
          before: w.before,
          after: w.action === 'delete' ? null : after,
          outcome: r?.outcome ?? 'failed',
        };
      }),
    };
    await audit.append(entry);
    return id;
  };

  const requireConfirm = (owners: OwnerInfo[], confirmed: boolean) => {
    if (owners.length === 0 || confirmed) return;
    throw new ApiError('BAD_INPUT', `${owners.map((o) => o.message).join(' ')} Confirm to edit it anyway.`, {
      field: 'confirmOwnership',
      details: { owners: owners.map((o) => o.controller).join(', ') },
    });
  };

  const service: TrafficService = {
    auditLog: audit,

    async list(contextId, namespace, signal) {
      const client = kube.clientFor(contextId);
      const { objects, warnings } = await listRouting(client, namespace, signal);
      const targets: RoutingTarget[] = [];
      for (const o of objects) {
        const adapter = adapterFor(o.kind);
        if (!adapter) continue;
        for (const svc of adapter.services(o)) {
          let summary = '';
          try {
            const m = adapter.read(o, emptyContext(namespace), svc);
            const def = m.defaultRoute !== null ? m.routes[m.defaultRoute] : null;
            const parts = def ? def.destinations.map((d) => `${d.name} ${d.effectiveWeight}`) : [];
            const matchRoutes = m.routes.filter((r) => r.matches.length > 0).length;
            if (matchRoutes) parts.push(`${matchRoutes} match route${matchRoutes > 1 ? 's' : ''}`);
            if (m.routes.some((r) => r.fault)) parts.push('fault');
            if (m.routes.some((r) => r.mirror)) parts.push('mirror');
            summary = parts.join(' · ');
          } catch {
            summary = 'unreadable';
          }
          targets.push({ service: svc, namespace, api: adapter.api, object: refOf(o), owners: detectOwners(o), summary });
        }
      }
      targets.sort((a, b) => a.service.localeCompare(b.service) || a.object.kind.localeCompare(b.object.kind));
      return { targets, warnings };
    },

    async get(input, signal) {
      const { client, pick, alternatives } = await findObject(input.contextId, input.namespace, input.service, input.object, signal);
      const { context, notes } = await readContext(client, input.namespace, pick.kind === 'VirtualService', signal);
      const model = readModel({ object: pick, context, service: input.service });
      model.notes.push(...notes);
      if (alternatives.length > 0) model.notes.push(`Also steering ${input.service}: ${alternatives.map((a) => `${a.kind} ${a.metadata.name}`).join(', ')}.`);
      const rules = context.destinationRules.filter((d) => model.available.some((a) => a.detail === `DestinationRule ${d.metadata.name}`));
      return {
        model,
        objects: [pick, ...rules].map((o) => ({ ref: refOf(o), yaml: toYaml(o) })),
        owners: detectOwners(pick, rules),
        alternatives: alternatives.map(refOf),
      };
    },

    async plan(input, signal) {
      const { client, pick } = await findObject(input.contextId, input.namespace, input.service, input.object, signal);
      const snap = await readSnapshot(client, refOf(pick), input.service, signal);
      const change = planChange(snap, input.op);
      const issues = [...change.issues];
      if (issues.length === 0 && change.writes.length === 0) {
        return { ...store(input.contextId, change, issues, null), summary: `${change.summary}: nothing to change` };
      }
      return store(input.contextId, change, issues, null);
    },

    async planUndo(auditId, signal) {
      const entry = await audit.get(auditId);
      if (!entry) throw new ApiError('NOT_FOUND', `There is no audit entry ${auditId}.`, { field: 'auditId' });
      const landed = entry.writes.filter((w) => w.outcome === 'landed');
      if (landed.length === 0) throw new ApiError('BAD_INPUT', `Nothing to undo: "${entry.summary}" did not change anything (${entry.outcome}).`, { field: 'auditId' });
      const client = kube.clientFor(entry.contextId);
      const writes: PlannedObjectWrite[] = [];
      const issues: PlanView['issues'] = [];
      let owners: OwnerInfo[] = [];
      for (const w of [...landed].reverse()) {
        let current: KubeObject | null;
        try {
          current = await readObject(client, w.object, signal);
        } catch (err) {
          if (err instanceof ApiError && err.code === 'NOT_FOUND') current = null;
          else throw err;
        }
        const before = w.before && isKubeObject(w.before) ? w.before : null;
        const after = w.after && isKubeObject(w.after) ? w.after : null;
        const r = planRestore(current, { object: w.object, action: w.action, before, after });
        if (r.conflict) issues.push({ field: 'undo', message: r.conflict });
        if (r.write) writes.push(r.write);
        if (current && adapterFor(current.kind)) owners = detectOwners(current);
      }
      return store(entry.contextId, { summary: `undo: ${entry.summary}`, writes, owners }, issues, entry.id);
    },

    async apply(planId, { confirmOwnership }, signal) {
      prune();
      const stored = plans.get(planId);
      if (!stored) throw new ApiError('NOT_FOUND', 'This plan expired or was already applied: review the change again.', { field: 'planId' });
      requireConfirm(stored.change.owners, confirmOwnership);
      const client = kube.clientFor(stored.contextId);
      plans.delete(planId);
      const applied = await applyPlanned(client, stored.change, { ...opts.applyOptions, ...(signal ? { signal } : {}) });
      const auditId = await record(stored.contextId, stored.change.summary, applied, stored.change.writes, stored.view.undoOf);
      return toResult(applied, auditId);
    },

    async verify(auditId, signal) {
      const entry = await audit.get(auditId);
      if (!entry) throw new ApiError('NOT_FOUND', `There is no audit entry ${auditId}.`, { field: 'auditId' });
      const client = kube.clientFor(entry.contextId);
      const results: ApplyResult['writes'] = [];
      let outcome: ApplyResult['outcome'] = 'landed';
      for (const w of entry.writes) {
        let current: KubeObject | null = null;
        try {
          current = await readObject(client, w.object, signal);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
        }
        const after = w.after && isKubeObject(w.after) ? w.after : null;
        const landed = after ? current !== null && deepEqual(current.spec, after.spec) : current === null;
        const before = w.before && isKubeObject(w.before) ? w.before : null;
        const untouched = before ? current !== null && current.metadata.resourceVersion === before.metadata.resourceVersion : false;
        const o: ApplyResult['outcome'] = landed ? 'landed' : untouched ? 'failed' : 'unknown';
        if (o !== 'landed' && outcome === 'landed') outcome = o;
        results.push({
          object: w.object,
          outcome: o,
          resourceVersion: current?.metadata.resourceVersion ?? null,
          reapplied: false,
          message: landed ? `${refKey(w.object)} has the change.` : untouched ? `${refKey(w.object)} is unchanged: the change did not land.` : `${refKey(w.object)} differs from both the old and the new state: it was changed since.`,
        });
      }
      const message = outcome === 'landed' ? `Re-checked: "${entry.summary}" landed.` : outcome === 'failed' ? `Re-checked: "${entry.summary}" did not land.` : `Re-checked: the objects changed since "${entry.summary}"; review them.`;
      const id = randomUUID();
      const who = await userOf(entry.contextId).catch(() => ({ name: entry.contextName, user: entry.user }));
      await audit.append({ ...entry, id, time: now().toISOString(), user: who.user, summary: `re-check: ${entry.summary}`, outcome, message, undoOf: null, writes: [] });
      return { outcome, message, writes: results, auditId: id, conflictDiff: null, error: null };
    },

    async change(input, signal) {
      const client = kube.clientFor(input.contextId);
      const snap = await readSnapshot(client, input.object, input.service, signal);
      const change = planChange(snap, input.op);
      if (change.issues.length > 0) {
        const first = change.issues[0]!;
        throw new ApiError('BAD_INPUT', first.message, { field: first.field, details: { issues: change.issues.length } });
      }
      requireConfirm(change.owners, input.confirmOwnership ?? false);
      const view = store(input.contextId, change, [], null);
      plans.delete(view.planId);
      const applied = await applyPlanned(client, change, { ...opts.applyOptions, ...(signal ? { signal } : {}) });
      const auditId = await record(input.contextId, change.summary, applied, change.writes, null, input.actor);
      return { ...toResult(applied, auditId), plan: view };
    },

    async audit(o = {}) {
      const list = await audit.list(o);
      return list.map((e) => ({ ...e, writes: [] }));
    },

    exportAudit: (format) => audit.export(format),
  };
  return service;
}

