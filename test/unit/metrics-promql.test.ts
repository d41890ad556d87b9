import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { GOLDEN_SIGNALS } from '../../shared/contract/metrics';
import { goldenQuery } from '../../main/metrics/golden';
import { anyOfRegex, byLabels, matchers, promLabelValue, promRegexLiteral, selector } from '../../main/metrics/promql';

/** Reads back a PromQL double-quoted literal the way Prometheus's lexer does (Go escapes). */
function unquote(lit: string): string {
  expect(lit.startsWith('"') && lit.endsWith('"')).toBe(true);
  const body = lit.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    expect(c).not.toBe('\n');
    if (c === '"') throw new Error(`unescaped quote at ${i} in ${lit}`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === 't') out += '\t';
    else if (n === '\\' || n === '"') out += n;
    else if (n === 'u') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else throw new Error(`unknown escape \\${n} in ${lit}`);
  }
  return out;
}

const HOSTILE = [
  'plain',
  'with"quote',
  'back\\slash',
  'ends with backslash\\',
  'new\nline',
  'cr\rtab\t',
  '"} or vector(1) or {a="',
  '\\"} or up{x="',
  'ünïcödé 🚀',
  '\u0000\u0007\u001f\u007f',
  '.*',
  'a|b',
  '(?i)x',
  '',
];

describe('PromQL escaping', () => {
  it.each(HOSTILE)('promLabelValue round-trips %j', (v) => {
    const lit = promLabelValue(v);
    expect(unquote(lit)).toBe(v);
    // One literal: no raw quote or newline can end it early.
    expect(lit.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*"/);
  });

  it('promRegexLiteral makes a value match only itself', () => {
    for (const v of ['a.b', 'x|y', '(?i)z', 'a*b+c?', '[a-z]{2}', '^start$', 'back\\slash', 'plain-name_1']) {
      const re = new RegExp(`^(?:${promRegexLiteral(v)})$`);
      expect(re.test(v)).toBe(true);
      expect(re.test(`${v}x`)).toBe(false);
    }
    expect(new RegExp(`^(?:${promRegexLiteral('a.b')})$`).test('axb')).toBe(false);
    expect(new RegExp(`^(?:${promRegexLiteral('x|y')})$`).test('x')).toBe(false);
  });

  it('anyOfRegex joins escaped literals and refuses an empty list', () => {
    const lit = anyOfRegex(['shop', 'bill.ing', 'a"b']);
    const re = new RegExp(`^(?:${unquote(lit)})$`);
    expect(['shop', 'bill.ing', 'a"b'].every((v) => re.test(v))).toBe(true);
    expect(re.test('billxing')).toBe(false);
    expect(() => anyOfRegex([])).toThrow(ApiError);
  });

  it('matchers keeps user text inside literals and checks label names', () => {
    const m = matchers({ reporter: 'destination', destination_workload: '"} or vector(1) #', namespace: { anyOf: ['a|b', 'c'] }, code: { ne: '200' }, x: undefined });
    expect(m).toBe('{reporter="destination",destination_workload="\\"} or vector(1) #",namespace=~"a\\\\|b|c",code!="200"}');
    expect(() => matchers({ 'bad-label': 'x' })).toThrow(/not a valid Prometheus label name/);
    expect(() => matchers({ 'a"}or{': 'x' })).toThrow(ApiError);
    expect(() => selector('up or vector(1)', {})).toThrow(/metric name/);
    expect(() => byLabels(['le', 'x)'])).toThrow(ApiError);
  });

  it('golden queries escape the target and never change shape', () => {
    const evil = { mesh: 'istio' as const, kind: 'workload' as const, namespace: 'shop"}) or vector(1) or (up{a="', name: 'x\\"\n', direction: 'inbound' as const };
    const normal = { ...evil, namespace: 'shop', name: 'x' };
    for (const s of GOLDEN_SIGNALS) {
      const q = goldenQuery(s, evil, 60);
      const n = goldenQuery(s, normal, 60);
      // Same structure once the literals are blanked out.
      const shape = (t: string) => t.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      expect(shape(q)).toBe(shape(n));
      expect(q).not.toContain('\n');
    }
    const l = goldenQuery('requestRate', { mesh: 'linkerd', kind: 'service', namespace: 'billing', name: 'invoices', direction: 'inbound' }, 300);
    expect(l).toBe('sum(rate(response_total{direction="outbound",dst_namespace="billing",dst_service="invoices"}[300s]))');
    expect(goldenQuery('latencyP99', normal, 60)).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="shop",destination_workload="x"}[60s])))',
    );
    expect(() => goldenQuery('requestRate', { ...normal, kind: 'service', direction: 'outbound' }, 60)).toThrow(ApiError);
  });
});
