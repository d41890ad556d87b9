/**
 * `meshdeck://<view>?k=v` links, from the OS (a browser, a chat message, a runbook), turned into a
 * hash route for the running window. Everything about the input is hostile until proven
 * otherwise: only known views, known parameters with their own character sets, no credentials,
 * no paths, no control characters, bounded length. Pure: no Electron, so it is tested directly.
 */

export const DEEP_LINK_SCHEME = 'meshdeck';
export const MAX_DEEP_LINK_LENGTH = 2048;
const MAX_VALUE_LENGTH = 512;

type ParamCheck = (v: string) => string | null;

/** Kubernetes namespace: a DNS-1123 label. */
const namespace: ParamCheck = (v) => (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? null : 'is not a Kubernetes namespace name');
/** Object names (DNS-1123 subdomain). */
const k8sName: ParamCheck = (v) => (v.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) ? null : 'is not a Kubernetes object name');
/**
 * A kube context name (EKS ARNs bring ':' and '/', GKE names '_') or a context id
 * `<kubeconfig file>#<name>`. It is only ever looked up among known contexts, but '..' segments and
 * backslashes are refused so a link cannot even name a path outside one.
 */
const context: ParamCheck = (v) => {
  if (!/^[A-Za-z0-9._:@/#+~=-]+$/.test(v)) return 'has characters a context name does not use';
  if (/(^|[/#])\.\.?($|[/#])/.test(v)) return "contains a '.' or '..' path segment";
  return null;
};
const oneOf = (...allowed: string[]): ParamCheck => (v) => (allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`);
/** Graph node ids and stream ids: printable, no quotes or angle brackets. */
const token: ParamCheck = (v) => (/^[A-Za-z0-9._:@/#+~=-]+$/.test(v) ? null : 'has characters that are not allowed');

/** Views a link may open, and the parameters each accepts. A capability with a deep link adds its entry. */
export const DEEP_LINK_VIEWS: Record<string, Record<string, ParamCheck>> = {
  graph: { context, namespace, type: oneOf('workload', 'app', 'versionedApp', 'service'), window: oneOf('1m', '5m', '10m', '30m', '1h', '3h'), focus: token },
  connect: { context },
  traffic: { context, namespace, name: k8sName },
  canary: { context, namespace, name: k8sName },
  events: { store: token, stream: token },
  settings: {},
};

export type DeepLinkResult =
  | { ok: true; view: string; params: Record<string, string>; route: string }
  | { ok: false; reason: string };

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const fail = (reason: string): DeepLinkResult => ({ ok: false, reason });

export function parseDeepLink(input: unknown): DeepLinkResult {
  if (typeof input !== 'string') return fail('not a string');
  if (input.length === 0) return fail('empty');
  if (input.length > MAX_DEEP_LINK_LENGTH) return fail(`longer than ${MAX_DEEP_LINK_LENGTH} characters`);
  if (CONTROL.test(input)) return fail('contains control or bidirectional-override characters');
  if (/\s/.test(input)) return fail('contains whitespace');
  if (input.includes('\\')) return fail('contains a backslash');
  if (!input.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}://`)) return fail(`not a ${DEEP_LINK_SCHEME}:// link`);

  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail('not a valid URL');
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) return fail(`not a ${DEEP_LINK_SCHEME}:// link`);
  if (url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(input)) return fail('contains credentials (user:password@)');
  if (url.port !== '') return fail('contains a port');
  if (url.hash !== '') return fail('contains a #fragment');

  const view = url.hostname.toLowerCase();
  if (view === '') return fail('names no view (expected meshdeck://<view>?…)');
  if (!Object.hasOwn(DEEP_LINK_VIEWS, view)) return fail(`unknown view '${view.slice(0, 40)}'`);
  // Raw path check too: URL normalises `/a/../b` away before we could see it.
  const rawPath = input.slice(`${DEEP_LINK_SCHEME}://`.length + url.host.length).split('?')[0] ?? '';
  if ((url.pathname !== '' && url.pathname !== '/') || (rawPath !== '' && rawPath !== '/')) return fail('has a path (only meshdeck://<view>?k=v is accepted)');

  const spec = DEEP_LINK_VIEWS[view] ?? {};
  const params: Record<string, string> = {};
  let decoded: [string, string][];
  try {
    decoded = [...url.searchParams.entries()];
  } catch {
    return fail('has a malformed query');
  }
  for (const [k, v] of decoded) {
    if (!Object.hasOwn(spec, k)) return fail(`unknown parameter '${k.slice(0, 40)}' for view '${view}'`);
    if (Object.hasOwn(params, k)) return fail(`parameter '${k}' given twice`);
    if (v.length === 0) return fail(`parameter '${k}' is empty`);
    if (v.length > MAX_VALUE_LENGTH) return fail(`parameter '${k}' is longer than ${MAX_VALUE_LENGTH} characters`);
    if (CONTROL.test(v)) return fail(`parameter '${k}' contains control characters`);
    if (/^\s*(javascript|data|vbscript|file):/i.test(v)) return fail(`parameter '${k}' looks like a script or file URL`);
    const problem = spec[k]?.(v);
    if (problem) return fail(`parameter '${k}' ${problem}`);
    params[k] = v;
  }
  const sp = new URLSearchParams(params);
  const qs = sp.toString();
  return { ok: true, view, params, route: `#/${view}${qs ? `?${qs}` : ''}` };
}

/**
 * The link in a command line (Windows and Linux pass it as an argument, to the first instance
 * or through `second-instance`). Only an argument that starts with our scheme counts; the
 * rest (Chromium switches, the app path) is ignored.
 */
export function findDeepLinkArg(argv: readonly string[]): string | null {
  for (const a of argv) {
    if (typeof a === 'string' && a.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`)) return a;
  }
  return null;
}

export interface DeepLinkSink {
  /** Sends the route to the renderer (the settings service's command bus). */
  navigate(route: string): void;
  /** Brings the window forward (restores it if minimised). */
  focus(): void;
  /** A link was refused: log it and tell the user why, once. */
  rejected(url: string, reason: string): void;
}

/** Accepts a link from any source (argv, second-instance, open-url): parse, then navigate or refuse. */
export function deliverDeepLink(url: unknown, sink: DeepLinkSink): DeepLinkResult {
  const res = parseDeepLink(url);
  if (res.ok) sink.navigate(res.route);
  else sink.rejected(typeof url === 'string' ? url.slice(0, 200) : String(url), res.reason);
  sink.focus();
  return res;
}
