import type { LagSample } from '../../shared/contract/projections';

/**
 * Checkpoint history per connection + projection: a bounded ring of samples taken on every refresh.
 * Rates and "unchanged since" come from it, because a store's own update time can be a heartbeat
 * (the classic demo bumps updated_at without moving) or absent (Eventuous).
 */
export const RING_SIZE = 360;
/** Samples closer together than this replace the last one (many viewers must not flood the ring). */
const MIN_SPACING_MS = 900;

export interface Rates {
  rate: number | null;
  headRate: number | null;
  /** Epoch ms since which the checkpoint has had its current value (null: unknown). */
  unchangedSince: number | null;
  windowSec: number;
}

export class SampleRing {
  private readonly samples: LagSample[] = [];

  add(s: LagSample): void {
    const last = this.samples.at(-1);
    if (last && s.t - last.t < MIN_SPACING_MS) {
      // Nothing new: keep the older sample (its time anchors "unchanged since"); else the newer replaces it.
      if (last.checkpoint !== s.checkpoint || last.head !== s.head) this.samples[this.samples.length - 1] = s;
      return;
    }
    this.samples.push(s);
    if (this.samples.length > RING_SIZE) this.samples.shift();
  }

  all(): LagSample[] {
    return [...this.samples];
  }

  tail(n: number): LagSample[] {
    return this.samples.slice(-n);
  }

  rates(windowMs: number, now: number): Rates {
    const last = this.samples.at(-1);
    if (!last) return { rate: null, headRate: null, unchangedSince: null, windowSec: 0 };
    // The oldest sample inside the window (or the newest before it, so a slow refresh still has two points).
    let first: LagSample | undefined;
    for (const s of this.samples) {
      if (s === last) break;
      if (now - s.t <= windowMs) { first = s; break; }
      first = s;
    }
    let unchangedSince: number | null = null;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (this.samples[i]!.checkpoint !== last.checkpoint) break;
      unchangedSince = this.samples[i]!.t;
    }
    if (this.samples.length < 2 || !first || first === last || last.t - first.t < 500) {
      return { rate: null, headRate: null, unchangedSince: this.samples.length >= 2 ? unchangedSince : null, windowSec: 0 };
    }
    const dt = (last.t - first.t) / 1000;
    const d = (a: string, b: string) => Number(BigInt(a) - BigInt(b));
    return {
      rate: Math.max(0, d(last.checkpoint, first.checkpoint) / dt),
      headRate: Math.max(0, d(last.head, first.head) / dt),
      unchangedSince,
      windowSec: dt,
    };
  }
}

/** Rings keyed by connection and projection name, bounded in count too. */
export class HistoryStore {
  private readonly rings = new Map<string, SampleRing>();
  constructor(private readonly maxRings = 5000) {}

  ring(connectionId: string, name: string): SampleRing {
    const k = `${connectionId}\u0000${name}`;
    let r = this.rings.get(k);
    if (!r) {
      if (this.rings.size >= this.maxRings) this.rings.delete(this.rings.keys().next().value as string);
      r = new SampleRing();
      this.rings.set(k, r);
    }
    return r;
  }

  peek(connectionId: string, name: string): SampleRing | undefined {
    return this.rings.get(`${connectionId}\u0000${name}`);
  }

  forget(connectionId: string): void {
    for (const k of [...this.rings.keys()]) if (k.startsWith(`${connectionId}\u0000`)) this.rings.delete(k);
  }
}
