import type pg from 'pg';
import type { PageScope, StorePositions, TailEvent } from '../../shared/contract/events';
import type { ApiError } from '../../shared/errors';
import { sleep } from '../util/abort';
import type { MappedStore } from './adapters/engine';
import { pgError } from './connection';
import { SafePositionTracker } from './positions';

/**
 * Live tail. Wakes on NOTIFY where the store already sends one (LISTEN only, never a trigger of
 * ours), else polls. Reads strictly (cursor, safe] in position order, so:
 * - nothing is lost: everything at or below `safe` is final (positions.ts);
 * - nothing is duplicated: the cursor only moves past what was emitted (or past positions that are
 *   final and did not match the scope), and a resumed tail passes the last cursor it saw.
 * A lost connection (Postgres restarted) is reported as 'reconnecting' and retried with backoff; the
 * cursor survives, so the stream continues exactly where it stopped.
 */
export interface TailOptions {
  /** Resolves the store (re-detecting after a reconnect if needed). */
  store: () => Promise<MappedStore>;
  listenClient: () => Promise<pg.Client>;
  notifyChannels: string[];
  after: bigint | null;
  scope: PageScope;
  types: string[] | undefined;
  emit: (e: TailEvent) => void;
  signal: AbortSignal;
  pollMs?: number;
  batch?: number;
}

const HEARTBEAT_MS = 2000;

export async function runTail(o: TailOptions): Promise<void> {
  let after = o.after;
  let backoff = 250;
  const pollMs = o.pollMs ?? 250;
  const batch = o.batch ?? 500;

  while (!o.signal.aborted) {
    let listener: pg.Client | null = null;
    let wake: (() => void) | null = null;
    let notified = false;
    let everNotified = false;
    try {
      const store = await o.store();
      const tracker = new SafePositionTracker(store);
      if (o.notifyChannels.length) {
        listener = await o.listenClient();
        listener.on('notification', () => { notified = true; everNotified = true; wake?.(); });
        listener.on('error', () => { wake?.(); });
        for (const ch of o.notifyChannels) await listener.query(`LISTEN "${ch.replace(/"/g, '""')}"`);
      }
      let positions: StorePositions = await tracker.settle(o.signal, 1000);
      if (after === null) after = BigInt(positions.safe ?? '0');
      o.emit({
        kind: 'status',
        state: listener ? 'listening' : 'polling',
        message: listener ? `Listening on ${o.notifyChannels.join(', ')} (and polling as a safety net).` : 'This store sends no notifications: polling.',
        after: after.toString(),
        positions,
        error: null,
      });
      backoff = 250;
      let lastBeat = Date.now();
      const lost = { err: null as unknown };
      listener?.on('end', () => { lost.err = new Error('Connection terminated: the LISTEN connection ended'); wake?.(); });
      while (!o.signal.aborted) {
        if (lost.err) throw lost.err;
        const safe = positions.safe === null ? null : BigInt(positions.safe);
        while (safe !== null && after < safe && !o.signal.aborted) {
          const rows = await store.readRange(after, safe, o.scope, o.types, batch, o.signal);
          if (rows.length === 0) { after = safe; break; }
          after = BigInt(rows[rows.length - 1]!.position);
          o.emit({ kind: 'events', events: rows, positions, after: after.toString() });
          lastBeat = Date.now();
          if (rows.length < batch) { after = safe; break; }
        }
        if (Date.now() - lastBeat > HEARTBEAT_MS) {
          o.emit({ kind: 'status', state: listener ? 'listening' : 'polling', message: 'live', after: after.toString(), positions, error: null });
          lastBeat = Date.now();
        }
        // Wait: briefly while writers are in flight, else for a notification or the poll interval.
        // A notification that came while we were reading means: read again now.
        const waitMs = notified ? 0 : tracker.unsettled ? 20 : everNotified ? 1000 : pollMs;
        notified = false;
        if (waitMs > 0) await new Promise<void>((resolve) => {
          const t = setTimeout(done, waitMs);
          function done() {
            clearTimeout(t);
            wake = null;
            o.signal.removeEventListener('abort', done);
            resolve();
          }
          wake = done;
          o.signal.addEventListener('abort', done, { once: true });
        });
        if (o.signal.aborted) break;
        positions = await tracker.sample(o.signal);
      }
    } catch (err) {
      if (o.signal.aborted) break;
      const e: ApiError = pgError(err, 'live tail');
      o.emit({
        kind: 'status',
        state: 'reconnecting',
        message: `${e.message} Retrying in ${(backoff / 1000).toFixed(1)} s.`,
        after: after?.toString() ?? null,
        positions: null,
        error: e.toJSON(),
      });
      await sleep(backoff, o.signal).catch(() => undefined);
      backoff = Math.min(backoff * 2, 5000);
    } finally {
      wake = null;
      if (listener) {
        listener.removeAllListeners('notification');
        listener.on('error', () => undefined);
        await listener.end().catch(() => undefined);
      }
    }
  }
}
