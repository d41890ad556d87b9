// What the real control plane does to an object between the request and etcd: defaulting,
// IP allocation, sidecar injection (Istio's and Linkerd's mutating webhooks) and validation
// (built-in rules plus a small version of Istio's validating webhook and the Gateway API /
// SMI CRD schemas). Enough realism that the app's dry-run and its error display are tested.
import { randomBytes } from 'node:crypto';
import { failure, invalid } from './errors.js';
import { asStringMap, clone, isObj, type JsonMap } from './json.js';
import type { ResourceDef } from './discovery.js';
import type { KubeObject, StatusCause } from './types.js';

export const ISTIO_PROXY_IMAGE = 'docker.io/istio/proxyv2:1.24.2';
export const LINKERD_PROXY_VERSION = 'stable-2.14.10';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function randomSuffix(n = 5): string {
  // The alphabet Kubernetes uses for generateName (no vowels, no confusable digits).
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export function validateName(def: ResourceDef, name: string): StatusCause[] {
  if (def.kind === 'Namespace' || def.kind === 'Service') {
    const re = def.kind === 'Service' ? DNS1035_LABEL : DNS1123_LABEL;
    if (name.length > 63 || !re.test(name)) {
      return [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message: `Invalid value: "${name}": a lowercase RFC ${def.kind === 'Service' ? '1035' : '1123'} label must consist of lower case alphanumeric characters or '-'`,
        },
      ];
    }
    return [];
  }
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ];
  }
  return [];
}

/** Cluster-wide allocators (ClusterIP, NodePort, pod IP) seeded from what is already stored. */
export class Allocators {
  private usedIps = new Set<string>();
  private usedPorts = new Set<number>();
  private podIpCounter = 10;

  observe(obj: KubeObject): void {
    const spec = isObj(obj.spec) ? obj.spec : {};
    if (obj.kind === 'Pod' && isObj(obj.status) && typeof obj.status.podIP === 'string') {
      // Continue after the highest pod IP already handed out (state loaded from a file).
      const m = /^10\.244\.(\d+)\.(\d+)$/.exec(obj.status.podIP);
      if (m) this.podIpCounter = Math.max(this.podIpCounter, Number(m[1]) * 250 + Number(m[2]));
    }
    if (obj.kind === 'Service') {
      if (typeof spec.clusterIP === 'string') this.usedIps.add(spec.clusterIP);
      if (Array.isArray(spec.ports)) for (const p of spec.ports) if (isObj(p) && typeof p.nodePort === 'number') this.usedPorts.add(p.nodePort);
    }
  }

  clusterIP(): string {
    for (let i = 10; i < 65000; i++) {
      const ip = `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
    }
    throw failure(500, 'InternalError', 'range is full');
  }

  nodePort(): number {
    for (let p = 30000; p <= 32767; p++) {
      if (!this.usedPorts.has(p)) {
        this.usedPorts.add(p);
        return p;
      }
    }
    throw failure(500, 'InternalError', 'node port range is full');
  }

  podIP(): string {
    const i = this.podIpCounter++;
    return `10.244.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
  }
}

function defaultContainers(list: unknown): void {
  if (!Array.isArray(list)) return;
  for (const c of list) {
    if (!isObj(c)) continue;
    if (c.imagePullPolicy === undefined && typeof c.image === 'string') c.imagePullPolicy = /:latest$|^[^:]+$/.test(c.image) ? 'Always' : 'IfNotPresent';
    if (c.terminationMessagePath === undefined) c.terminationMessagePath = '/dev/termination-log';
    if (c.terminationMessagePolicy === undefined) c.terminationMessagePolicy = 'File';
    if (c.resources === undefined) c.resources = {};
    if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p) && p.protocol === undefined) p.protocol = 'TCP';
  }
}

function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  defaultContainers(spec.containers);
  defaultContainers(spec.initContainers);
}

export interface AdmissionContext {
  allocators: Allocators;
  namespace(name: string): KubeObject | undefined;
}

/** Mutating admission + defaulting. `obj` is a private mutable copy; `old` the stored object. */
export function mutate(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined, ctx: AdmissionContext): void {
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  switch (def.kind) {
    case 'Namespace': {
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
      obj.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      if (!isObj(obj.status)) obj.status = { phase: 'Active' };
      break;
    }
    case 'Service': {
      if (!spec) break;
      spec.type ??= 'ClusterIP';
      const oldSpec = old && isObj(old.spec) ? old.spec : undefined;
      if (spec.type !== 'ExternalName') {
        // clusterIP is immutable: keep the one allocated at create.
        if (oldSpec && typeof oldSpec.clusterIP === 'string' && (spec.clusterIP === undefined || spec.clusterIP === '')) spec.clusterIP = oldSpec.clusterIP;
        if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = ctx.allocators.clusterIP();
        spec.clusterIPs ??= [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      spec.sessionAffinity ??= 'None';
      if (Array.isArray(spec.ports)) {
        const oldPorts = oldSpec && Array.isArray(oldSpec.ports) ? oldSpec.ports.filter(isObj) : [];
        for (const p of spec.ports) {
          if (!isObj(p)) continue;
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
          if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort === undefined) {
            const prev = oldPorts.find((o) => o.port === p.port);
            p.nodePort = typeof prev?.nodePort === 'number' ? prev.nodePort : ctx.allocators.nodePort();
          }
        }
      }
      if (!isObj(obj.status)) obj.status = old && isObj(old.status) ? clone(old.status) : { loadBalancer: {} };
      break;
    }
    case 'Deployment':
    case 'ReplicaSet': {
      if (!spec) break;
      spec.replicas ??= 1;
      if (def.kind === 'Deployment') {
        spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
      }
      const tpl = isObj(spec.template) ? spec.template : undefined;
      if (tpl) defaultPodSpec(tpl.spec);
      break;
    }
    case 'Pod': {
      if (!spec) break;
      defaultPodSpec(spec);
      if (!old) inject(obj, ctx);
      break;
    }
    case 'CustomResourceDefinition': {
      const names = spec && isObj(spec.names) ? spec.names : {};
      obj.status = {
        acceptedNames: clone(names),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: new Date().toISOString() },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: new Date().toISOString() },
        ],
        storedVersions: Array.isArray(spec?.versions) ? spec.versions.filter((v): v is JsonMap => isObj(v) && v.storage === true).map((v) => v.name) : [],
      };
      break;
    }
  }
}

/** Istio and Linkerd sidecar injection, decided the way their webhooks decide. */
function inject(pod: KubeObject, ctx: AdmissionContext): void {
  const spec = pod.spec;
  if (!isObj(spec) || !Array.isArray(spec.containers)) return;
  const ns = ctx.namespace(pod.metadata.namespace ?? '');
  const nsLabels = asStringMap(ns?.metadata.labels);
  const nsAnn = asStringMap(ns?.metadata.annotations);
  const labels = { ...pod.metadata.labels };
  const ann = { ...pod.metadata.annotations };
  const names = spec.containers.filter(isObj).map((c) => c.name);
  const istioWanted =
    (nsLabels['istio-injection'] === 'enabled' || labels['sidecar.istio.io/inject'] === 'true') &&
    labels['sidecar.istio.io/inject'] !== 'false' &&
    ann['sidecar.istio.io/inject'] !== 'false';
  const linkerdWanted = (nsAnn['linkerd.io/inject'] === 'enabled' || ann['linkerd.io/inject'] === 'enabled') && ann['linkerd.io/inject'] !== 'disabled';
  const workload = labels.app ?? labels['app.kubernetes.io/name'] ?? pod.metadata.generateName?.replace(/-[a-z0-9]+-$/, '') ?? pod.metadata.name ?? 'unknown';

  if (istioWanted && !names.includes('istio-proxy')) {
    spec.containers.push({
      name: 'istio-proxy',
      image: ISTIO_PROXY_IMAGE,
      args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--log_output_level=default:info'],
      ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
      resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '10m', memory: '40Mi' } },
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    spec.initContainers = [
      ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
      { name: 'istio-init', image: ISTIO_PROXY_IMAGE, args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337'], imagePullPolicy: 'IfNotPresent', resources: {} },
    ];
    labels['security.istio.io/tlsMode'] = 'istio';
    labels['service.istio.io/canonical-name'] ??= workload;
    labels['service.istio.io/canonical-revision'] ??= labels.version ?? labels['app.kubernetes.io/version'] ?? 'latest';
    ann['sidecar.istio.io/status'] = JSON.stringify({
      initContainers: ['istio-init'],
      containers: ['istio-proxy'],
      volumes: ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
      imagePullSecrets: null,
      revision: 'default',
    });
    ann['istio.io/rev'] = 'default';
    ann['kubectl.kubernetes.io/default-container'] ??= String(names[0] ?? '');
    ann['prometheus.io/scrape'] = 'true';
    ann['prometheus.io/port'] = '15020';
    ann['prometheus.io/path'] = '/stats/prometheus';
  }
  if (linkerdWanted && !names.includes('linkerd-proxy')) {
    // Linkerd puts its proxy first so it is ready before the app starts.
    spec.containers.unshift({
      name: 'linkerd-proxy',
      image: `cr.l5d.io/linkerd/proxy:${LINKERD_PROXY_VERSION}`,
      ports: [
        { containerPort: 4143, name: 'linkerd-proxy', protocol: 'TCP' },
        { containerPort: 4191, name: 'linkerd-admin', protocol: 'TCP' },
      ],
      resources: {},
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    spec.initContainers = [
      ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
      { name: 'linkerd-init', image: 'cr.l5d.io/linkerd/proxy-init:v2.2.3', args: ['--incoming-proxy-port', '4143', '--outgoing-proxy-port', '4140'], resources: {} },
    ];
    labels['linkerd.io/control-plane-ns'] = 'linkerd';
    labels['linkerd.io/workload-ns'] = pod.metadata.namespace ?? '';
    ann['linkerd.io/created-by'] = `linkerd/proxy-injector ${LINKERD_PROXY_VERSION}`;
    ann['linkerd.io/proxy-version'] = LINKERD_PROXY_VERSION;
    ann['linkerd.io/identity-mode'] = 'default';
    ann['linkerd.io/inject'] ??= 'enabled';
  }
  pod.metadata.labels = labels;
  pod.metadata.annotations = ann;
}

// ---- validation --------------------------------------------------------------------------

function isNonNegInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function percentOk(v: unknown): boolean {
  const value = isObj(v) ? v.value : undefined;
  return v === undefined || (typeof value === 'number' && value >= 0 && value <= 100);
}

/** A short version of istiod's validating webhook: the errors people actually hit. */
function istioErrors(obj: KubeObject): string[] {
  const errs: string[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  if (obj.kind === 'VirtualService') {
    // No hosts is legal for a delegate VirtualService, which cannot be bound to gateways.
    const hosts = Array.isArray(spec.hosts) ? spec.hosts : [];
    const gateways = Array.isArray(spec.gateways) ? spec.gateways : [];
    if (hosts.length === 0 && gateways.length > 0) errs.push('virtual service must have at least one host');
    if (hosts.some((h) => typeof h !== 'string' || h === '')) errs.push('hosts must be non-empty strings');
    const http = Array.isArray(spec.http) ? spec.http : [];
    http.forEach((route) => {
      if (!isObj(route)) return;
      const dests = Array.isArray(route.route) ? route.route.filter(isObj) : [];
      if (dests.length === 0 && route.redirect === undefined && route.directResponse === undefined && route.delegate === undefined) {
        errs.push('HTTP route, redirect or direct response is required');
      }
      for (const d of dests) {
        if (d.weight !== undefined && !isNonNegInt(d.weight)) errs.push(`weight ${String(d.weight)} < 0`);
        const dest = isObj(d.destination) ? d.destination : {};
        if (typeof dest.host !== 'string' || dest.host === '') errs.push('destination must have a host');
      }
      if (dests.length > 1 && dests.every((d) => d.weight === undefined || d.weight === 0)) errs.push('total destination weight = 0');
      const fault = isObj(route.fault) ? route.fault : undefined;
      if (fault) {
        const abort = isObj(fault.abort) ? fault.abort : undefined;
        const delay = isObj(fault.delay) ? fault.delay : undefined;
        if (abort && !percentOk(abort.percentage)) errs.push('percentage 0 - 100');
        if (delay && !percentOk(delay.percentage)) errs.push('percentage 0 - 100');
        if (abort && typeof abort.httpStatus === 'number' && (abort.httpStatus < 200 || abort.httpStatus > 599)) errs.push('httpStatus must be in range 200..599');
      }
      const retries = isObj(route.retries) ? route.retries : undefined;
      if (retries && retries.attempts !== undefined && !isNonNegInt(retries.attempts)) errs.push('attempts cannot be negative');
    });
  }
  if (obj.kind === 'DestinationRule') {
    if (typeof spec.host !== 'string' || spec.host === '') errs.push('host must be a valid FQDN or short name');
    const seen = new Set<string>();
    for (const s of Array.isArray(spec.subsets) ? spec.subsets : []) {
      if (!isObj(s) || typeof s.name !== 'string' || s.name === '') errs.push('subset name is invalid: ""');
      else if (seen.has(s.name)) errs.push(`duplicate subset names: ${s.name}`);
      else seen.add(s.name);
    }
  }
  return errs;
}

/** CRD schema-style checks for Gateway API and SMI kinds (their CRDs carry these bounds). */
function schemaCauses(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  if (obj.kind === 'HTTPRoute') {
    const rules = Array.isArray(spec.rules) ? spec.rules : [];
    rules.forEach((r, i) => {
      const refs = isObj(r) && Array.isArray(r.backendRefs) ? r.backendRefs : [];
      refs.forEach((b, j) => {
        const w = isObj(b) ? b.weight : undefined;
        if (w !== undefined && (!isNonNegInt(w) || (w as number) > 1000000)) {
          const field = `spec.rules[${i}].backendRefs[${j}].weight`;
          causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(w)}: ${field} in body should be greater than or equal to 0` });
        }
      });
    });
  }
  if (obj.kind === 'TrafficSplit') {
    if (typeof spec.service !== 'string' || !spec.service) causes.push({ reason: 'FieldValueRequired', field: 'spec.service', message: 'Required value' });
    const backends = Array.isArray(spec.backends) ? spec.backends : [];
    backends.forEach((b, i) => {
      const w = isObj(b) ? b.weight : undefined;
      if (!isNonNegInt(w)) {
        causes.push({ reason: 'FieldValueInvalid', field: `spec.backends[${i}].weight`, message: `Invalid value: ${JSON.stringify(w)}: spec.backends[${i}].weight in body should be greater than or equal to 0` });
      }
    });
  }
  if (obj.kind === 'Deployment') {
    const replicas = isObj(obj.spec) ? obj.spec.replicas : undefined;
    if (replicas !== undefined && !isNonNegInt(replicas)) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` });
    }
  }
  return causes;
}

/** Throws the error the real server would return for an invalid object. */
export function validate(def: ResourceDef, obj: KubeObject): void {
  const name = obj.metadata.name ?? '';
  const causes = [...validateName(def, name), ...schemaCauses(obj)];
  if (causes.length) throw invalid(def.kind, def.group, name, causes);
  if (def.group === 'networking.istio.io') {
    const errs = istioErrors(obj);
    if (errs.length) {
      throw failure(400, 'BadRequest', `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${errs.join(', ')}`);
    }
  }
}
