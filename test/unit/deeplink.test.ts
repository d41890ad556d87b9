/** meshdeck:// deep links: pure parsing in main, hostile input refused with a reason. */
import { describe, expect, it, vi } from 'vitest';
import { deliverDeepLink, findDeepLinkArg, MAX_DEEP_LINK_LENGTH, parseDeepLink } from '../../main/electron/deeplink';

const ok = (url: string) => {
  const r = parseDeepLink(url);
  if (!r.ok) throw new Error(`${url}: ${r.reason}`);
  return r;
};
const reason = (url: unknown) => {
  const r = parseDeepLink(url);
  if (r.ok) throw new Error(`accepted: ${String(url)} -> ${r.route}`);
  return r.reason;
};

describe('parseDeepLink: good links', () => {
  it('graph with context and namespace becomes a hash route', () => {
    expect(ok('meshdeck://graph?context=kind-demo&namespace=shop')).toEqual({
      ok: true, view: 'graph', params: { context: 'kind-demo', namespace: 'shop' }, route: '#/graph?context=kind-demo&namespace=shop',
    });
  });
  it('accepts real-world context names and ids, encoded safely in the route', () => {
    expect(ok('meshdeck://graph?context=arn:aws:eks:eu-west-1:123456789012:cluster/prod').route)
      .toBe('#/graph?context=arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Acluster%2Fprod');
    expect(ok('meshdeck://graph?context=gke_my-proj_europe-west1_prod').params.context).toBe('gke_my-proj_europe-west1_prod');
    expect(ok('meshdeck://graph?context=%2Fhome%2Fme%2F.kube%2Fconfig%23kind-demo').params.context).toBe('/home/me/.kube/config#kind-demo');
    expect(ok('meshdeck://graph?context=admin@cluster.local').params.context).toBe('admin@cluster.local');
  });
  it('view names are case-insensitive; a trailing slash or empty query is fine', () => {
    expect(ok('MESHDECK://Graph/?namespace=a').route).toBe('#/graph?namespace=a');
    expect(ok('meshdeck://settings').route).toBe('#/settings');
    expect(ok('meshdeck://graph?').route).toBe('#/graph');
  });
  it('other views with their own parameters', () => {
    expect(ok('meshdeck://canary?context=prod&namespace=pay&name=checkout-v2').route).toBe('#/canary?context=prod&namespace=pay&name=checkout-v2');
    expect(ok('meshdeck://events?store=orders&stream=Order-42').route).toBe('#/events?store=orders&stream=Order-42');
    expect(ok('meshdeck://graph?type=service&window=1h').params).toEqual({ type: 'service', window: '1h' });
  });
});

describe('parseDeepLink: hostile input', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not a string', { href: 'meshdeck://graph' }, /not a string/],
    ['empty', '', /empty/],
    ['wrong scheme', 'https://graph?context=x', /not a meshdeck:\/\/ link/],
    ['javascript:', 'javascript:alert(document.cookie)', /not a meshdeck:\/\/ link/],
    ['javascript: with our scheme later', 'javascript://meshdeck://graph', /not a meshdeck:\/\/ link/],
    ['file:', 'file:///etc/passwd', /not a meshdeck:\/\/ link/],
    ['opaque form', 'meshdeck:graph?context=x', /not a meshdeck:\/\/ link/],
    ['lookalike scheme', 'meshdeck2://graph', /not a meshdeck:\/\/ link/],
    ['unknown view', 'meshdeck://shell?cmd=rm', /unknown view 'shell'/],
    ['no view', 'meshdeck:///?context=x', /names no view/],
    ['over-long', `meshdeck://graph?context=${'a'.repeat(MAX_DEEP_LINK_LENGTH)}`, /longer than 2048/],
    ['over-long value', `meshdeck://graph?focus=${'a'.repeat(600)}`, /longer than 512/],
    ['raw newline', 'meshdeck://graph?context=a\nb', /control/],
    ['NUL', 'meshdeck://graph?context=a\u0000b', /control/],
    ['encoded CRLF', 'meshdeck://graph?context=a%0D%0Ab', /control characters/],
    ['encoded NUL', 'meshdeck://graph?namespace=a%00', /control characters/],
    ['bidi override', 'meshdeck://graph?context=\u202Eevil', /bidirectional/],
    ['encoded bidi override', 'meshdeck://graph?context=%E2%80%AEevil', /control characters/],
    ['space', 'meshdeck://graph?context=a b', /whitespace/],
    ['tab', 'meshdeck://graph\t?context=a', /control|whitespace/],
    ['backslash', 'meshdeck://graph\\..\\..\\windows', /backslash/],
    ['path traversal', 'meshdeck://graph/../../etc/passwd', /has a path/],
    ['encoded traversal in path', 'meshdeck://graph/%2e%2e/%2e%2e/etc/passwd', /has a path/],
    ['a path at all', 'meshdeck://graph/x', /has a path/],
    ['traversal in context', 'meshdeck://graph?context=../../.ssh/id_rsa', /path segment/],
    ['traversal in a context id', 'meshdeck://graph?context=/home/u/.kube/../../etc/shadow%23x', /path segment/],
    ['credentials', 'meshdeck://admin:hunter2@graph?context=x', /credentials/],
    ['user only', 'meshdeck://admin@graph', /credentials/],
    ['empty userinfo', 'meshdeck://@graph', /credentials/],
    ['port', 'meshdeck://graph:8080?context=x', /port/],
    ['fragment', 'meshdeck://graph?context=x#/settings', /fragment/],
    ['unknown parameter', 'meshdeck://graph?context=x&token=abc', /unknown parameter 'token'/],
    ['prototype key', 'meshdeck://graph?__proto__=x', /unknown parameter '__proto__'/],
    ['constructor key', 'meshdeck://graph?constructor=x', /unknown parameter/],
    ['duplicate parameter', 'meshdeck://graph?namespace=a&namespace=b', /given twice/],
    ['empty value', 'meshdeck://graph?namespace=', /empty/],
    ['bad namespace', 'meshdeck://graph?namespace=Kube_System', /namespace name/],
    ['script in a value', 'meshdeck://graph?context=javascript:alert(1)', /script or file URL|characters/],
    ['data URL in a value', 'meshdeck://graph?focus=data:text/html,x', /script or file URL/],
    ['html in a value', 'meshdeck://graph?context=%3Cimg%20src=x%20onerror=alert(1)%3E', /characters/],
    ['quote in a value', "meshdeck://graph?focus=a'b", /characters/],
    ['enum out of range', 'meshdeck://graph?window=forever', /must be one of/],
    ['malformed percent', 'meshdeck://graph?context=%E0%A4%A', /characters|malformed/],
  ];
  it.each(cases)('%s', (_name, url, re) => expect(reason(url)).toMatch(re));

  it('no accepted route ever contains characters that could break out of a hash route', () => {
    const safe = /^#\/[a-z]+(\?[A-Za-z0-9%=&._~+-]*)?$/;
    expect(ok('meshdeck://graph?context=a:b/c@d%2Be~f=g-h.i_j%23k').route).toMatch(safe);
    // Fuzz: random links built from a hostile alphabet are refused or come out safe.
    let seed = 42;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const alphabet = ['a', 'Z', '0', '-', '.', '/', '\\', ':', '@', '#', '?', '&', '=', '%', '%0a', '%00', '%2e', '%2F', '%23', '..', ' ', '"', "'", '<', '>', '`', '\u202e', 'javascript:', 'context', 'namespace', 'graph', 'focus'];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      let tail = '';
      for (let j = rand(30); j > 0; j--) tail += alphabet[rand(alphabet.length)];
      const url = ['meshdeck://graph?context=', 'meshdeck://graph?', 'meshdeck://', 'meshdeck://graph?focus='][rand(4)] + tail;
      const r = parseDeepLink(url);
      if (r.ok) { accepted++; expect(r.route, url).toMatch(safe); }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('findDeepLinkArg', () => {
  it('takes only an argument with our scheme (Chromium flags and paths are ignored)', () => {
    expect(findDeepLinkArg(['/usr/bin/meshdeck', '--no-sandbox', '--inspect=9229', 'meshdeck://graph?namespace=a'])).toBe('meshdeck://graph?namespace=a');
    expect(findDeepLinkArg(['/usr/bin/meshdeck', '--flag=meshdeck://graph'])).toBeNull();
    expect(findDeepLinkArg([])).toBeNull();
  });
});

describe('deliverDeepLink', () => {
  it('navigates on a good link, refuses a bad one with its reason, focuses either way', () => {
    const sink = { navigate: vi.fn(), focus: vi.fn(), rejected: vi.fn() };
    deliverDeepLink('meshdeck://graph?namespace=a', sink);
    deliverDeepLink('meshdeck://graph/../x', sink);
    expect(sink.navigate).toHaveBeenCalledExactlyOnceWith('#/graph?namespace=a');
    expect(sink.rejected).toHaveBeenCalledExactlyOnceWith('meshdeck://graph/../x', expect.stringMatching(/has a path/));
    expect(sink.focus).toHaveBeenCalledTimes(2);
  });
  it('truncates what it reports of a huge link', () => {
    const sink = { navigate: vi.fn(), focus: vi.fn(), rejected: vi.fn() };
    deliverDeepLink(`meshdeck://graph?x=${'a'.repeat(10_000)}`, sink);
    expect((sink.rejected.mock.calls[0]?.[0] as string).length).toBe(200);
  });
});
