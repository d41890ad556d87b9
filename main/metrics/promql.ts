/**
 * PromQL builders that keep user data out of a query's shape. Every label value goes through
 * `promLabelValue` (a double-quoted PromQL string literal); every value used with `=~`/`!~` goes
 * through `promRegexLiteral` first (RE2 metacharacters escaped), so `a.b|c` typed by a user
 * matches exactly that text. Label names are checked against Prometheus's grammar. Only the
 * explicit custom-query field of metrics.query sends text the user wrote as PromQL.
 */
import { ApiError } from '../../shared/errors';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A PromQL string literal for any text: `a"b\c` + newline → `"a\"b\\c\n"`. */
export function promLabelValue(v: string): string {
  let out = '"';
  for (const ch of v) {
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default: {
        const c = ch.codePointAt(0)!;
        // Other control characters as \u escapes: PromQL (Go) strings accept them.
        out += c < 0x20 || c === 0x7f ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
      }
    }
  }
  return `${out}"`;
}

/** RE2-escapes a literal so it matches only itself inside `=~` (Prometheus anchors the regex). */
export function promRegexLiteral(v: string): string {
  return v.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** `"a|b\\.c"` for `label=~` matching any of the literal values. Throws on an empty list (it would match the empty label). */
export function anyOfRegex(values: readonly string[]): string {
  if (values.length === 0) throw new ApiError('BAD_INPUT', 'An "any of" matcher needs at least one value.');
  return promLabelValue(values.map(promRegexLiteral).join('|'));
}

export function assertLabelName(name: string): string {
  if (!LABEL_NAME.test(name)) throw new ApiError('BAD_INPUT', `"${name.slice(0, 80)}" is not a valid Prometheus label name.`, { field: name.slice(0, 80) });
  return name;
}

export function assertMetricName(name: string): string {
  if (!METRIC_NAME.test(name)) throw new ApiError('BAD_INPUT', `"${name.slice(0, 80)}" is not a valid Prometheus metric name.`);
  return name;
}

export type Matcher =
  | string
  | { eq: string }
  | { ne: string }
  /** Regex on literal values: `label=~"v1|v2"` with each value escaped. */
  | { anyOf: readonly string[] }
  | { noneOf: readonly string[] }
  /** A regex the caller wrote on purpose (not user input). Still quoted safely. */
  | { re: string }
  | { nre: string };

/** `{a="x",b=~"p|q"}` from an object; a plain string value means `=`. Keys in insertion order. */
export function matchers(m: Record<string, Matcher | undefined>): string {
  const parts: string[] = [];
  for (const [name, v] of Object.entries(m)) {
    if (v === undefined) continue;
    assertLabelName(name);
    if (typeof v === 'string') parts.push(`${name}=${promLabelValue(v)}`);
    else if ('eq' in v) parts.push(`${name}=${promLabelValue(v.eq)}`);
    else if ('ne' in v) parts.push(`${name}!=${promLabelValue(v.ne)}`);
    else if ('anyOf' in v) parts.push(`${name}=~${anyOfRegex(v.anyOf)}`);
    else if ('noneOf' in v) parts.push(`${name}!~${anyOfRegex(v.noneOf)}`);
    else if ('re' in v) parts.push(`${name}=~${promLabelValue(v.re)}`);
    else parts.push(`${name}!~${promLabelValue(v.nre)}`);
  }
  return `{${parts.join(',')}}`;
}

/** `metric{...}` */
export function selector(metric: string, m: Record<string, Matcher | undefined>): string {
  return `${assertMetricName(metric)}${matchers(m)}`;
}

/** A range duration (`[60s]`) from whole seconds. */
export function rangeSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 366 * 86400) throw new ApiError('BAD_INPUT', `Window ${seconds}s is out of range.`);
  return `${seconds}s`;
}

/** `by (a,b)` with checked label names. */
export function byLabels(labels: readonly string[]): string {
  return `by (${labels.map(assertLabelName).join(',')})`;
}
