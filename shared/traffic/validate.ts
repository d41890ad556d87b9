/**
 * Validation of a routing edit against the model, with one message per field. The renderer runs
 * it as the user types; main runs it again before anything is planned or sent.
 */
import type { Route, RoutingModel, TrafficOp, ValidationIssue } from './model';

/** Istio durations as Kiali checks them: a number and one unit; zero is refused. */
const ISTIO_DURATION = /^\d+(\.\d+)?(h|m|s|ms)$/;
/** Gateway API durations (GEP-2257): up to four integer+unit parts, e.g. 1m30s. */
const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
/** An HTTP header (and cookie) name: an RFC 7230 token. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const RETRY_ON = /^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$/;

export function durationError(v: string, api: RoutingModel['api']): string | null {
  const s = v.trim();
  if (s === '') return 'is empty: give a duration such as 5s or 250ms';
  const re = api === 'gateway-api' ? GATEWAY_DURATION : ISTIO_DURATION;
  if (!re.test(s)) {
    return api === 'gateway-api'
      ? `"${v}" is not a Gateway API duration: whole numbers with h, m, s or ms, e.g. 5s, 250ms, 1m30s`
      : `"${v}" is not a duration: a number and a unit (h, m, s or ms), e.g. 5s, 1.5s or 250ms`;
  }
  if (durationMs(s) === 0) return 'must be at least 1ms';
  return null;
}

/** Milliseconds of a valid duration string (`1m30s`, `1.5s`, `250ms`). */
export function durationMs(s: string): number {
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return total;
}

export function percentError(v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number from 0 to 100';
  if (v < 0 || v > 100) return `must be from 0 to 100 (got ${v})`;
  return null;
}

/** The route an op addresses: its index, or the default weighted route. */
export function targetRoute(model: RoutingModel, route: number | undefined): { route: Route | null; issue: ValidationIssue | null } {
  if (route === undefined) {
    if (model.defaultRoute === null) {
      return { route: null, issue: { field: 'route', message: 'This object has no catch-all route carrying the split: pick the route to edit.' } };
    }
    return { route: model.routes[model.defaultRoute] ?? null, issue: null };
  }
  const r = model.routes[route];
  if (!Number.isInteger(route) || !r) {
    return { route: null, issue: { field: 'route', message: `There is no route ${route}: the object has ${model.routes.length} route${model.routes.length === 1 ? '' : 's'}.` } };
  }
  return { route: r, issue: null };
}

function destinationKnown(model: RoutingModel, route: Route | null, name: string): boolean {
  return model.available.some((a) => a.name === name) || (route?.destinations.some((d) => d.name === name) ?? false);
}

function unknownDestination(model: RoutingModel, name: string): string {
  switch (model.api) {
    case 'istio':
      return `"${name}" is neither a subset of the DestinationRule nor the version label of a workload behind ${model.service}.`;
    case 'gateway-api':
      return `There is no Service "${name}" in namespace ${model.object.namespace} to send traffic to.`;
    case 'smi':
      return `There is no Service "${name}" in namespace ${model.object.namespace} to use as a backend.`;
  }
}

/** The weights a route would have after setting `weights` (unnamed destinations keep theirs). */
export function weightsAfter(route: Route, weights: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of route.destinations) out[d.name] = d.effectiveWeight;
  for (const [k, v] of Object.entries(weights)) out[k] = v;
  return out;
}

function checkWeights(model: RoutingModel, route: Route | null, weights: Record<string, number>, issues: ValidationIssue[], field = 'weights'): void {
  const names = Object.keys(weights);
  if (names.length === 0) {
    issues.push({ field, message: 'Give at least one destination weight.' });
    return;
  }
  for (const [name, w] of Object.entries(weights)) {
    const f = `${field}.${name}`;
    if (!destinationKnown(model, route, name)) issues.push({ field: f, message: unknownDestination(model, name) });
    if (typeof w !== 'number' || !Number.isInteger(w)) issues.push({ field: f, message: `The weight of ${name} must be a whole number (got ${String(w)}).` });
    else if (w < 0 || w > model.capabilities.maxWeight) issues.push({ field: f, message: `The weight of ${name} must be from 0 to ${model.capabilities.maxWeight} (got ${w}).` });
  }
  if (!route) return;
  const after = weightsAfter(route, weights);
  const total = Object.values(after).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  if (model.capabilities.weightsSumTo100 && total !== 100) {
    issues.push({ field, message: `Istio needs the weights of a route to add up to 100; these add up to ${total}.` });
  } else if (total <= 0) {
    issues.push({ field, message: 'At least one destination needs a weight above 0, or every request fails.' });
  }
}

function checkDuration(model: RoutingModel, v: unknown, field: string, label: string, issues: ValidationIssue[]): void {
  if (typeof v !== 'string') {
    issues.push({ field, message: `${label} must be a duration such as 5s or 250ms.` });
    return;
  }
  const e = durationError(v, model.api);
  if (e) issues.push({ field, message: `${label} ${e}.` });
}

function unsupported(model: RoutingModel, what: string): string {
  const kind = model.object.kind;
  if (model.api === 'smi') return `A TrafficSplit only splits by weight: ${what} needs an HTTPRoute or a VirtualService.`;
  if (model.api === 'gateway-api' && what === 'fault injection') {
    return 'HTTPRoute has no fault injection. With Linkerd, send a share of traffic to an error-injecting backend by weight instead.';
  }
  return `${kind} does not support ${what} here.`;
}

export function validateOp(model: RoutingModel, op: TrafficOp): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const caps = model.capabilities;
  const pick = (route: number | undefined): Route | null => {
    const t = targetRoute(model, route);
    if (t.issue) issues.push(t.issue);
    return t.route;
  };
  switch (op.op) {
    case 'setWeights': {
      const r = pick(op.route);
      checkWeights(model, r, op.weights, issues);
      break;
    }
    case 'switchBlueGreen': {
      const r = pick(op.route);
      if (!op.to) issues.push({ field: 'to', message: 'Pick the side that gets all the traffic.' });
      else if (!destinationKnown(model, r, op.to)) issues.push({ field: 'to', message: unknownDestination(model, op.to) });
      break;
    }
    case 'setFault': {
      if (!caps.fault) {
        issues.push({ field: 'fault', message: unsupported(model, 'fault injection') });
        break;
      }
      pick(op.route);
      const f = op.fault;
      if (!f) break;
      if (f.delay) {
        checkDuration(model, f.delay.fixedDelay, 'fault.delay.fixedDelay', 'The delay', issues);
        const p = percentError(f.delay.percent);
        if (p) issues.push({ field: 'fault.delay.percent', message: `The delay percentage ${p}.` });
      }
      if (f.abort) {
        const s = f.abort.httpStatus;
        if (typeof s !== 'number' || !Number.isInteger(s) || s < 100 || s > 599) {
          issues.push({ field: 'fault.abort.httpStatus', message: `The abort status must be an HTTP status code from 100 to 599 (got ${String(s)}).` });
        }
        const p = percentError(f.abort.percent);
        if (p) issues.push({ field: 'fault.abort.percent', message: `The abort percentage ${p}.` });
      }
      break;
    }
    case 'addHeaderMatchRoute': {
      if (!caps.matchRoutes) {
        issues.push({ field: 'kind', message: unsupported(model, 'header and cookie routing') });
        break;
      }
      if (model.defaultRoute === null) issues.push({ field: 'destination', message: 'There is no default route to place this route before.' });
      if (!op.name || !TOKEN.test(op.name)) {
        issues.push({ field: 'name', message: `${op.kind === 'cookie' ? 'The cookie' : 'The header'} name must be a token (letters, digits, - _ . and the like), got "${op.name}".` });
      }
      if (op.value === '') issues.push({ field: 'value', message: 'Give the value to match.' });
      if (op.kind === 'cookie' && /[;\s]/.test(op.value)) issues.push({ field: 'value', message: 'A cookie value cannot contain ";" or spaces.' });
      const mt = op.matchType ?? 'exact';
      if (op.kind === 'header' && mt === 'regex') {
        try {
          new RegExp(op.value);
        } catch (e) {
          issues.push({ field: 'value', message: `Not a valid regular expression: ${(e as Error).message}` });
        }
      }
      if (op.kind === 'header' && mt === 'prefix' && model.api === 'gateway-api') {
        issues.push({ field: 'matchType', message: 'HTTPRoute header matches are Exact or RegularExpression: there is no prefix match.' });
      }
      if (!op.destination) issues.push({ field: 'destination', message: 'Pick where matching requests go.' });
      else if (!destinationKnown(model, null, op.destination)) issues.push({ field: 'destination', message: unknownDestination(model, op.destination) });
      if (op.routeName !== undefined && op.routeName !== '' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(op.routeName)) {
        issues.push({ field: 'routeName', message: 'A route name is lower-case letters, digits and "-".' });
      }
      break;
    }
    case 'removeRoute': {
      const r = pick(op.route);
      if (r && r.isDefault) issues.push({ field: 'route', message: 'This is the default route carrying the split: it cannot be removed here.' });
      break;
    }
    case 'setMirror': {
      if (!caps.mirror) {
        issues.push({ field: 'mirror', message: unsupported(model, 'mirroring') });
        break;
      }
      const r = pick(op.route);
      if (!op.mirror) break;
      if (!op.mirror.destination) issues.push({ field: 'mirror.destination', message: 'Pick where to mirror to.' });
      else if (!destinationKnown(model, r, op.mirror.destination)) issues.push({ field: 'mirror.destination', message: unknownDestination(model, op.mirror.destination) });
      const p = percentError(op.mirror.percent);
      if (p) issues.push({ field: 'mirror.percent', message: `The mirror percentage ${p}.` });
      break;
    }
    case 'setTimeout': {
      if (!caps.timeout) {
        issues.push({ field: 'timeout', message: unsupported(model, 'timeouts') });
        break;
      }
      pick(op.route);
      if (op.timeout !== null) checkDuration(model, op.timeout, 'timeout', 'The timeout', issues);
      break;
    }
    case 'setRetries': {
      if (!caps.retries) {
        issues.push({ field: 'retries', message: unsupported(model, 'retries') });
        break;
      }
      pick(op.route);
      const r = op.retries;
      if (!r) break;
      if (!Number.isInteger(r.attempts) || r.attempts < 0 || r.attempts > 100) {
        issues.push({ field: 'retries.attempts', message: `Retry attempts must be a whole number from 0 to 100 (got ${String(r.attempts)}).` });
      }
      if (r.perTryTimeout !== null) checkDuration(model, r.perTryTimeout, 'retries.perTryTimeout', 'The per-try timeout', issues);
      if (r.retryOn !== null && !RETRY_ON.test(r.retryOn)) {
        issues.push({ field: 'retries.retryOn', message: 'retryOn is a comma-separated list such as 5xx,gateway-error,connect-failure (no spaces).' });
      }
      break;
    }
  }
  return issues;
}
