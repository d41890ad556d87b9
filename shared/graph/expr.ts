import type { Badge, GraphEdge, GraphNode } from './types';

/**
 * Find / hide expressions over graph elements, e.g. `rps > 10`, `error > 5%`, `name = reviews*`,
 * `!healthy`, `ns = shop and (rt > 500ms or failure)`.
 *
 * Grammar (standard precedence, unlike Kiali's "OR binds tighter"; parentheses allowed):
 *   expr := and ('or' and)* ;  and := unary ('and' unary)* ;  unary := ('!' | 'not') unary | '(' expr ')' | test
 *   test := operand op value | flag
 * Numeric operands: rps, error (%), share (%), rt/p95, p50, p99 (ms; `1s` = 1000), tcp/throughput (B/s), mtls (%).
 * Text operands (nodes only): name, namespace/ns, cluster, type/node, app, version, workload/wl, service/svc, protocol (edges).
 * Text `=`/`!=` take globs (`*`, `?`); `^=` starts with, `$=` ends with, `*=` contains.
 * Flags: healthy, degraded, failure, idle, na, outside, root, unknown, mtls, and the badges
 * trafficshifting/ts, faultinjection/fi, mirroring/mi, circuitbreaker/cb, requestrouting/rr, timeout/rt?.
 */

export type ExprTarget = { kind: 'node'; node: GraphNode } | { kind: 'edge'; edge: GraphEdge; source?: GraphNode; target?: GraphNode };

type Op = '=' | '!=' | '>' | '>=' | '<' | '<=' | '^=' | '$=' | '*=';

export type Expr =
  | { t: 'or' | 'and'; a: Expr; b: Expr }
  | { t: 'not'; a: Expr }
  | { t: 'num'; operand: NumOperand; op: Op; value: number }
  | { t: 'text'; operand: TextOperand; op: Op; value: string; re: RegExp | null }
  | { t: 'flag'; flag: Flag };

type NumOperand = 'rps' | 'error' | 'share' | 'p50' | 'p95' | 'p99' | 'tcp' | 'mtls';
type TextOperand = 'name' | 'namespace' | 'cluster' | 'type' | 'app' | 'version' | 'workload' | 'service' | 'protocol';
type Flag = 'healthy' | 'degraded' | 'failure' | 'idle' | 'na' | 'outside' | 'root' | 'unknown' | 'mtls' | Badge;

const NUM: Record<string, NumOperand> = {
  rps: 'rps', rate: 'rps', http: 'rps', requests: 'rps',
  error: 'error', errors: 'error', err: 'error', '%error': 'error', '%err': 'error', '%httperr': 'error',
  share: 'share', '%traffic': 'share', '%httptraffic': 'share', traffic: 'share',
  rt: 'p95', responsetime: 'p95', latency: 'p95', p95: 'p95', p50: 'p50', p99: 'p99',
  tcp: 'tcp', throughput: 'tcp', bytes: 'tcp',
  mtls: 'mtls', '%mtls': 'mtls',
};
const TEXT: Record<string, TextOperand> = {
  name: 'name', namespace: 'namespace', ns: 'namespace', cluster: 'cluster', type: 'type', node: 'type', app: 'app',
  version: 'version', workload: 'workload', wl: 'workload', service: 'service', svc: 'service', protocol: 'protocol',
};
const FLAGS: Record<string, Flag> = {
  healthy: 'healthy', degraded: 'degraded', failure: 'failure', failing: 'failure', idle: 'idle', na: 'na',
  outside: 'outside', root: 'root', trafficsource: 'root', unknown: 'unknown', mtls: 'mtls',
  trafficshifting: 'trafficShifting', ts: 'trafficShifting', faultinjection: 'faultInjection', fi: 'faultInjection',
  mirroring: 'mirroring', mi: 'mirroring', circuitbreaker: 'circuitBreaker', cb: 'circuitBreaker',
  requestrouting: 'requestRouting', rr: 'requestRouting', timeout: 'timeout',
};

export class ExprError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
    this.name = 'ExprError';
  }
}

interface Tok { k: 'word' | 'op' | 'lp' | 'rp' | 'not' | 'and' | 'or' | 'end'; v: string; at: number }

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const two = src.slice(i, i + 2);
    if (c === '(' || c === ')') { out.push({ k: c === '(' ? 'lp' : 'rp', v: c, at: i }); i++; continue; }
    if (two === '&&' || two === '||') { out.push({ k: two === '&&' ? 'and' : 'or', v: two, at: i }); i += 2; continue; }
    if (['>=', '<=', '!=', '^=', '$=', '*='].includes(two)) { out.push({ k: 'op', v: two, at: i }); i += 2; continue; }
    if (c === '=' && src[i + 1] === '=') { out.push({ k: 'op', v: '=', at: i }); i += 2; continue; }
    if (c === '>' || c === '<' || c === '=') { out.push({ k: 'op', v: c, at: i }); i++; continue; }
    if (c === '!') { out.push({ k: 'not', v: c, at: i }); i++; continue; }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprError('unclosed quote', i);
      out.push({ k: 'word', v: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < src.length && !/[\s()=<>!&|"']/.test(src[j]!) && !('^$*'.includes(src[j]!) && src[j + 1] === '=')) j++;
    if (j === i) throw new ExprError(`unexpected "${c}"`, i);
    const w = src.slice(i, j);
    const lw = w.toLowerCase();
    out.push({ k: lw === 'and' ? 'and' : lw === 'or' ? 'or' : lw === 'not' ? 'not' : 'word', v: w, at: i });
    i = j;
  }
  out.push({ k: 'end', v: '', at: src.length });
  return out;
}

/** `reviews*` -> /^reviews.*$/i ; plain text compares case-insensitively. */
function glob(v: string): RegExp {
  return new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

function numberOf(v: string, operand: NumOperand, at: number): number {
  const m = /^(-?\d+(?:\.\d+)?)(%|ms|s|k)?$/i.exec(v);
  if (!m) throw new ExprError(`"${v}" is not a number`, at);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === 's') return operand.startsWith('p') ? n * 1000 : n;
  if (unit === 'k') return n * 1000;
  return n;
}

export function parseExpr(src: string): Expr {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;

  function or(): Expr {
    let a = and();
    while (peek().k === 'or') { next(); a = { t: 'or', a, b: and() }; }
    return a;
  }
  function and(): Expr {
    let a = unary();
    while (peek().k === 'and') { next(); a = { t: 'and', a, b: unary() }; }
    return a;
  }
  function unary(): Expr {
    const t = peek();
    if (t.k === 'not') { next(); return { t: 'not', a: unary() }; }
    if (t.k === 'lp') {
      next();
      const e = or();
      if (peek().k !== 'rp') throw new ExprError('missing ")"', peek().at);
      next();
      return e;
    }
    if (t.k !== 'word') throw new ExprError(t.k === 'end' ? 'expression ends too early' : `unexpected "${t.v}"`, t.at);
    next();
    const name = t.v.toLowerCase();
    if (peek().k !== 'op') {
      const flag = FLAGS[name];
      if (!flag) throw new ExprError(`unknown flag "${t.v}" (try healthy, degraded, failure, idle, outside, root, mtls, ts, fi, cb…)`, t.at);
      return { t: 'flag', flag };
    }
    const opTok = next();
    const op = opTok.v as Op;
    const vt = next();
    if (vt.k !== 'word') throw new ExprError(`a value must follow "${op}"`, vt.at);
    const num = NUM[name];
    if (num) {
      if (['^=', '$=', '*='].includes(op)) throw new ExprError(`"${op}" compares text, and ${t.v} is a number`, opTok.at);
      return { t: 'num', operand: num, op, value: numberOf(vt.v, num, vt.at) };
    }
    const text = TEXT[name];
    if (!text) throw new ExprError(`unknown operand "${t.v}" (try rps, error, rt, name, ns, type…)`, t.at);
    if (['>', '>=', '<', '<='].includes(op)) throw new ExprError(`"${op}" compares numbers, and ${t.v} is text`, opTok.at);
    return { t: 'text', operand: text, op, value: vt.v, re: op === '=' || op === '!=' ? glob(vt.v) : null };
  }

  const e = or();
  if (peek().k !== 'end') throw new ExprError(`unexpected "${peek().v}"`, peek().at);
  return e;
}

/** Parses without throwing: for a toolbar that shows the error under the input. */
export function tryParseExpr(src: string): { ok: true; expr: Expr | null } | { ok: false; error: string; at: number } {
  if (src.trim() === '') return { ok: true, expr: null };
  try {
    return { ok: true, expr: parseExpr(src) };
  } catch (err) {
    if (err instanceof ExprError) return { ok: false, error: err.message, at: err.at };
    throw err;
  }
}

function numOf(x: ExprTarget, o: NumOperand): number | undefined {
  if (x.kind === 'edge') {
    const e = x.edge;
    switch (o) {
      case 'rps': return e.protocol === 'tcp' ? undefined : e.rate;
      case 'error': return e.protocol === 'tcp' ? undefined : e.errorPct;
      case 'share': return e.sharePct;
      case 'p50': return e.responseTime?.p50 ?? undefined;
      case 'p95': return e.responseTime?.p95 ?? undefined;
      case 'p99': return e.responseTime?.p99 ?? undefined;
      case 'tcp': return e.throughput ?? (e.protocol === 'tcp' ? e.rate : undefined);
      case 'mtls': return e.mtlsPct ?? undefined;
    }
  }
  const n = x.node;
  const basis = n.traffic.httpIn.total > 0 ? n.traffic.httpIn : n.traffic.httpOut;
  switch (o) {
    case 'rps': return basis.total;
    case 'error': return basis.total > 0 ? ((basis.err4xx + basis.err5xx) / basis.total) * 100 : 0;
    case 'tcp': return n.traffic.tcpIn + n.traffic.tcpOut;
    default: return undefined;
  }
}

function textOf(x: ExprTarget, o: TextOperand): string | undefined {
  if (x.kind === 'edge') return o === 'protocol' ? x.edge.protocol : undefined;
  const n = x.node;
  switch (o) {
    case 'name': return n.name;
    case 'namespace': return n.namespace;
    case 'cluster': return n.cluster;
    case 'type': return n.type;
    case 'app': return n.app;
    case 'version': return n.version;
    case 'workload': return n.workload;
    case 'service': return n.service ?? (n.type === 'service' ? n.name : undefined);
    case 'protocol': return undefined;
  }
}

function cmp(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    default: return false;
  }
}

function flagOf(x: ExprTarget, f: Flag): boolean {
  const health = x.kind === 'node' ? x.node.health : x.edge.health;
  switch (f) {
    case 'healthy': case 'degraded': case 'failure': case 'idle': case 'na':
      return health === f;
    case 'outside': return x.kind === 'node' && x.node.isOutside;
    case 'root': return x.kind === 'node' && x.node.isRoot;
    case 'unknown': return x.kind === 'node' ? x.node.type === 'unknown' : x.source?.type === 'unknown';
    case 'mtls': return x.kind === 'node' ? x.node.badges.includes('mtls') : (x.edge.mtlsPct ?? 0) > 0;
    default: return x.kind === 'node' && x.node.badges.includes(f);
  }
}

export function evaluate(e: Expr, x: ExprTarget): boolean {
  switch (e.t) {
    case 'or': return evaluate(e.a, x) || evaluate(e.b, x);
    case 'and': return evaluate(e.a, x) && evaluate(e.b, x);
    case 'not': return !evaluate(e.a, x);
    case 'flag': return flagOf(x, e.flag);
    case 'num': {
      const v = numOf(x, e.operand);
      return v !== undefined && cmp(v, e.op, e.value);
    }
    case 'text': {
      const v = textOf(x, e.operand);
      if (v === undefined) return false;
      const lv = v.toLowerCase();
      const q = e.value.toLowerCase();
      switch (e.op) {
        case '=': return e.re!.test(v);
        case '!=': return !e.re!.test(v);
        case '^=': return lv.startsWith(q);
        case '$=': return lv.endsWith(q);
        case '*=': return lv.includes(q);
        default: return false;
      }
    }
  }
}
