// Streaming watch over HTTP: newline-delimited JSON events, as kube-apiserver sends them.
// A resourceVersion older than the retained history yields HTTP 200 with one ERROR event
// carrying a 410 Expired Status and the stream then ends: client-go reflectors and
// client-node's ListWatch both react by relisting.
import type { ServerResponse } from 'node:http';
import { apiVersionOf, resourceKey, type ResourceDef } from './discovery.js';
import { KubeError } from './errors.js';
import type { Filter, ObjectStore } from './store.js';
import { toTable, type IncludeObject } from './table.js';
import type { KubeObject } from './types.js';

export interface WatchRequest {
  def: ResourceDef;
  version: string;
  filter: Filter;
  /** undefined: start with the current state as ADDED events (no resourceVersion, or "0"). */
  sinceRV: number | undefined;
  bookmarks: boolean;
  /** sendInitialEvents=true: ADDED for the current state, then a BOOKMARK marking its end. */
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
  table: { include: IncludeObject } | undefined;
  partialMetadata: boolean;
}

/** Slow consumers are cut off instead of buffering without bound (the real server does too). */
const MAX_BUFFERED = 32 * 1024 * 1024;

export function serveWatch(store: ObjectStore, res: ServerResponse, w: WatchRequest, bookmarkIntervalMs: number, active: Set<ServerResponse>): void {
  const apiVersion = apiVersionOf(w.def.group, w.version);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let firstTable = true;
  const render = (obj: KubeObject): unknown => {
    const presented = obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
    if (w.table) {
      // Column definitions only in the first event, like the real server.
      const t = toTable(w.def, [presented], {}, w.table.include, firstTable);
      firstTable = false;
      return t;
    }
    if (w.partialMetadata) return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: presented.metadata };
    return presented;
  };
  let ended = false;
  let cancel: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const end = () => {
    if (ended) return;
    ended = true;
    cancel?.();
    for (const t of timers) clearTimeout(t);
    active.delete(res);
    res.end();
  };
  const send = (type: string, object: unknown) => {
    if (ended) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
    if (res.writableLength > MAX_BUFFERED) end();
  };
  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', {
      kind: w.def.kind,
      apiVersion,
      metadata: { resourceVersion: String(store.currentRV()), ...(annotations ? { annotations } : {}) },
    });
  active.add(res);
  res.on('close', end);
  try {
    const initial = w.sendInitialEvents ? undefined : w.sinceRV;
    cancel = store.watch(resourceKey(w.def), w.filter, initial, (type, obj) => send(type, render(obj)));
  } catch (err) {
    if (err instanceof KubeError) send('ERROR', err.status);
    end();
    return;
  }
  if (w.sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  if (w.bookmarks) {
    const tick = () => {
      bookmark();
      timers[0] = setTimeout(tick, bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, bookmarkIntervalMs);
  }
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0) timers.push(setTimeout(end, w.timeoutSeconds * 1000));
}
