import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from '../../app/ClientContext';
import type { EventFilter, EventSummary, PageAnchor, PageScope, StorePositions, TailEvent } from '../../../shared/contract/events';
import type { ApiErrorShape } from '../../../shared/errors';
import { normalise } from '../../components/States';

/**
 * The event list's state: a window of loaded events (ascending), extended page by page at either
 * end with keyset cursors, capped so memory stays flat however far the user scrolls, plus the live
 * tail (pause = unsubscribe and remember the cursor; resume = subscribe after it: nothing lost).
 */
export const PAGE = 200;
const MAX_ROWS = 4000;

export interface LogState {
  events: EventSummary[];
  before: string | null;
  after: string | null;
  hasBefore: boolean;
  hasAfter: boolean;
  loading: 'initial' | 'older' | 'newer' | null;
  error: ApiErrorShape | null;
  partial: boolean;
  scannedTo: string | null;
  tookMs: number | null;
}

const EMPTY: LogState = { events: [], before: null, after: null, hasBefore: false, hasAfter: false, loading: 'initial', error: null, partial: false, scannedTo: null, tookMs: null };

export type TailState = { mode: 'off' } | { mode: 'live' | 'paused'; status: string; state: 'listening' | 'polling' | 'reconnecting' | 'starting'; error: ApiErrorShape | null };

export function useEventLog(connectionId: string, scope: PageScope, filter: EventFilter, anchor: PageAnchor) {
  const client = useClient();
  const [s, setS] = useState<LogState>(EMPTY);
  const gen = useRef(0);
  const key = JSON.stringify([connectionId, scope, filter, anchor]);

  useEffect(() => {
    const my = ++gen.current;
    const ac = new AbortController();
    setS({ ...EMPTY });
    const [cid, sc, fi, an] = JSON.parse(key) as [string, PageScope, EventFilter, PageAnchor];
    client.invoke('events.page', { connectionId: cid, scope: sc, filter: fi, anchor: an, limit: PAGE }, { signal: ac.signal })
      .then((p) => {
        if (gen.current !== my) return;
        setS({ events: p.events, before: p.before, after: p.after, hasBefore: p.hasBefore, hasAfter: p.hasAfter, loading: null, error: null, partial: p.partial, scannedTo: p.scannedTo, tookMs: p.tookMs });
      })
      .catch((err: unknown) => { if (gen.current === my && !ac.signal.aborted) setS({ ...EMPTY, loading: null, error: normalise(err) }); });
    return () => ac.abort();
  }, [client, key]);

  const busy = useRef(false);
  const load = useCallback(async (dir: 'older' | 'newer') => {
    if (busy.current) return;
    const cur = stateRef.current;
    if (cur.loading || (dir === 'older' ? !cur.hasBefore || !cur.before : !cur.hasAfter || !cur.after)) return;
    busy.current = true;
    const my = gen.current;
    setS((x) => ({ ...x, loading: dir }));
    try {
      const [cid, sc, fi] = JSON.parse(key) as [string, PageScope, EventFilter];
      const p = await client.invoke('events.page', {
        connectionId: cid, scope: sc, filter: fi, limit: PAGE,
        anchor: dir === 'older' ? { kind: 'before', value: cur.before! } : { kind: 'after', value: cur.after! },
      });
      if (gen.current !== my) return;
      setS((x) => {
        if (dir === 'older') {
          let events = [...p.events, ...x.events];
          let { after, hasAfter } = x;
          if (events.length > MAX_ROWS) {
            events = events.slice(0, MAX_ROWS);
            after = keyOf(sc, events[events.length - 1]!);
            hasAfter = true;
          }
          return { ...x, events, before: p.before, hasBefore: p.hasBefore, after, hasAfter, loading: null, partial: p.partial, tookMs: p.tookMs };
        }
        let events = [...x.events, ...p.events];
        let { before, hasBefore } = x;
        if (events.length > MAX_ROWS) {
          events = events.slice(events.length - MAX_ROWS);
          before = keyOf(sc, events[0]!);
          hasBefore = true;
        }
        return { ...x, events, after: p.after, hasAfter: p.hasAfter, before, hasBefore, loading: null, partial: p.partial, scannedTo: p.scannedTo, tookMs: p.tookMs };
      });
    } catch (err) {
      if (gen.current === my) setS((x) => ({ ...x, loading: null, error: normalise(err) }));
    } finally {
      busy.current = false;
    }
  }, [client, key]);

  const stateRef = useRef(s);
  useEffect(() => { stateRef.current = s; });

  /** Events pushed by the tail: appended if they continue the loaded window, never twice. */
  const append = useCallback((incoming: EventSummary[], cursor: string) => {
    setS((x) => {
      if (x.hasAfter) return x; // the user is reading history; the tail resumes from its own cursor
      const last = x.events.length ? BigInt(x.events[x.events.length - 1]!.position) : -1n;
      const fresh = incoming.filter((e) => BigInt(e.position) > last);
      let events = fresh.length ? [...x.events, ...fresh] : x.events;
      let { before, hasBefore } = x;
      if (events.length > MAX_ROWS) {
        events = events.slice(events.length - MAX_ROWS);
        before = events[0]!.position;
        hasBefore = true;
      }
      return { ...x, events, before, hasBefore, after: cursor };
    });
  }, []);

  return { state: s, loadOlder: () => load('older'), loadNewer: () => load('newer'), append };
}

function keyOf(scope: PageScope, e: EventSummary): string {
  return scope.kind === 'stream' ? e.version : e.position;
}

/** The live tail subscription with pause/resume. */
export function useTail(opts: {
  connectionId: string;
  scope: PageScope;
  types: string[] | undefined;
  enabled: boolean;
  startAfter: () => string | undefined;
  onEvents: (events: EventSummary[], after: string) => void;
  onPositions: (p: StorePositions) => void;
}) {
  const client = useClient();
  const [tail, setTail] = useState<TailState>({ mode: 'off' });
  const cursor = useRef<string | undefined>(undefined);
  const handlers = useRef(opts);
  useEffect(() => { handlers.current = opts; });
  const live = tail.mode === 'live';
  const scopeKey = JSON.stringify([opts.connectionId, opts.scope, opts.types]);

  useEffect(() => {
    if (!live || !opts.enabled) return;
    const [cid, sc, types] = JSON.parse(scopeKey) as [string, PageScope, string[] | undefined];
    const after = cursor.current ?? handlers.current.startAfter();
    return client.subscribe('events.tail', { connectionId: cid, scope: sc, ...(types?.length ? { types } : {}), ...(after ? { after } : {}) }, (e: TailEvent) => {
      if (e.kind === 'events') {
        cursor.current = e.after;
        handlers.current.onEvents(e.events, e.after);
        handlers.current.onPositions(e.positions);
        setTail((t) => (t.mode === 'live' && t.state !== 'reconnecting' ? t : { mode: 'live', status: 'live', state: 'listening', error: null }));
      } else {
        if (e.after) cursor.current = e.after;
        if (e.positions) handlers.current.onPositions(e.positions);
        setTail({ mode: 'live', status: e.message, state: e.state, error: e.error });
      }
    }, (error) => setTail({ mode: 'live', status: error.message, state: 'reconnecting', error }));
  }, [client, live, opts.enabled, scopeKey]);

  // A new scope or filter starts a new tail.
  useEffect(() => { cursor.current = undefined; }, [scopeKey]);

  return {
    tail,
    start: () => { cursor.current = undefined; setTail({ mode: 'live', status: 'starting…', state: 'starting', error: null }); },
    pause: () => setTail((t) => (t.mode === 'live' ? { ...t, mode: 'paused', status: 'paused' } : t)),
    resume: () => setTail((t) => (t.mode === 'paused' ? { ...t, mode: 'live', status: 'resuming…', state: 'starting' } : t)),
    stop: () => { cursor.current = undefined; setTail({ mode: 'off' }); },
  };
}
