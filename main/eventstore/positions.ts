import type { StorePositions } from '../../shared/contract/events';
import { sleep } from '../util/abort';
import type { MappedStore, WriterSample } from './adapters/engine';

/**
 * The safe position: every event at or below it is committed or will never exist, so a reader that
 * has seen everything up to it can move its cursor there without ever missing a late commit.
 *
 * Why it is needed: positions come from a sequence when a row is inserted, but the row becomes
 * visible at commit. Writer A takes 10, writer B takes 11 and commits first; a tail that jumps to 11
 * would never see 10.
 *
 * How it is computed, without writing anything (works for any store whose position is taken by the
 * INSERT into the event table, i.e. a serial/identity default):
 * 1. One statement (one snapshot) reads the highest visible position C and, after the snapshot was
 *    taken, the transactions holding a write lock on the event table (pg_locks). Any transaction that
 *    holds a position <= C which our snapshot cannot see took it before the snapshot, so it holds the
 *    table lock until it ends: it is in that list.
 * 2. If the list is empty, C is safe. Otherwise the sample waits; once none of its writers holds the
 *    lock any more (committed: visible to our next statement; rolled back: a permanent gap), C is safe.
 * 3. In between, a run of consecutive positions right above the current safe one is safe too (a gap
 *    is what a writer in flight would leave).
 * Assumes the sequence is not cached per session (CACHE 1, the default) and positions are not
 * fetched with nextval() in a statement of their own before the INSERT.
 */
export class SafePositionTracker {
  private safe: bigint | null = null;
  private pending: { committed: bigint; writers: Set<string> }[] = [];
  private last: WriterSample | null = null;

  constructor(private readonly store: MappedStore) {}

  /** True while a sample waits for its writers: poll again soon. */
  get unsettled(): boolean {
    return this.pending.length > 0;
  }

  current(): bigint | null {
    return this.safe;
  }

  async sample(signal: AbortSignal): Promise<StorePositions> {
    const s = await this.store.sampleWriters(signal);
    this.last = s;
    const current = new Set(s.writers);
    if (s.committed === null) {
      this.pending = [];
      this.safe = current.size === 0 ? 0n : this.safe;
      return this.view();
    }
    let safe = this.safe;
    const raise = (v: bigint) => { if (safe === null || v > safe) safe = v; };
    this.pending = this.pending.filter((p) => {
      for (const w of p.writers) if (current.has(w)) return true;
      raise(p.committed);
      return false;
    });
    if (current.size === 0) {
      raise(s.committed);
      this.pending = [];
    } else {
      this.pending.push({ committed: s.committed, writers: current });
      if (this.pending.length > 64) this.pending.shift();
    }
    if (safe !== null && safe < s.committed) {
      const run = await this.store.contiguousFrom(safe, signal);
      if (run > safe) safe = run;
    }
    this.safe = safe;
    return this.view();
  }

  /** First sample of a fresh tracker: wait (briefly) for the writers in flight to finish. */
  async settle(signal: AbortSignal, maxWaitMs: number): Promise<StorePositions> {
    const t0 = Date.now();
    let v = await this.sample(signal);
    while (this.safe === null && Date.now() - t0 < maxWaitMs) {
      await sleep(15, signal);
      v = await this.sample(signal);
    }
    if (this.safe === null && this.last?.committed !== null && this.last?.committed !== undefined) {
      // Writers are still in flight after the wait (a long transaction): fall back to the run of
      // consecutive positions below the committed head, which no writer can be holding.
      const c = this.last.committed;
      const from = c > 2000n ? c - 2000n : 0n;
      this.safe = await this.store.contiguousFrom(from, signal);
      v = this.view();
    }
    return v;
  }

  view(): StorePositions {
    const s = this.last;
    return {
      assigned: s?.assigned?.toString() ?? null,
      committed: s?.committed?.toString() ?? null,
      safe: this.safe?.toString() ?? null,
      writersInFlight: s?.writers.length ?? 0,
      oldestWriterSince: s?.oldestWriterSince ?? null,
      method: 'writer-locks',
      at: new Date().toISOString(),
    };
  }
}
