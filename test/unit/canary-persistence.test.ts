import { describe, expect, it } from 'vitest';
import { decodeRun, encodeRun, leaseLive, leaseTtlSec, MAX_ANNOTATION_BYTES, withLease } from '../../main/canary/persistence';
import { initialProgress, transition } from '../../main/canary/state-machine';
import type { CanaryProgress, HistoryEntry } from '../../shared/canary/types';
import { spec } from '../fixtures/canary/fakes';

const T0 = new Date('2025-01-01T00:00:00Z');

describe('canary persistence', () => {
  it('round-trips spec and progress through the annotation text', () => {
    const s = spec({ noData: 'hold', approvals: { beforeSteps: [1], beforePromotion: true } });
    const t = transition(s, initialProgress(T0, 'ana@laptop'), { type: 'begin' }, { now: T0, actor: 'ana@laptop' });
    if (!t.ok) throw new Error(t.reason);
    const progress = withLease(t.progress, 'inst-1', 'ana@laptop', s.intervalSec, T0);
    const text = encodeRun({ v: 1, spec: s, progress });
    const back = decodeRun(text);
    expect(back).toEqual({ ok: true, run: { v: 1, spec: s, progress } });
    // The step's original start survives: a restart resumes the same step at the same due time.
    if (back?.ok) {
      expect(back.run.progress.stepStartedAt).toBe(T0.toISOString());
      expect(back.run.progress.nextCheckAt).toBe(new Date(T0.getTime() + 10_000).toISOString());
    }
  });

  it('says what is wrong with a broken annotation, and null when there is none', () => {
    expect(decodeRun(undefined)).toBeNull();
    expect(decodeRun('')).toBeNull();
    expect(decodeRun('{nope')).toEqual({ ok: false, error: expect.stringContaining('not JSON') });
    const bad = decodeRun(JSON.stringify({ v: 1, spec: spec(), progress: { state: 'flying' } }));
    expect(bad?.ok).toBe(false);
    if (bad && !bad.ok) expect(bad.error).toMatch(/progress\.state/);
  });

  it('trims history until the annotation fits', () => {
    const p: CanaryProgress = initialProgress(T0, 'ana');
    const big: HistoryEntry[] = Array.from({ length: 2000 }, (_, i) => ({ at: T0.toISOString(), kind: 'check', step: 0, weight: 10, state: 'progressing', message: 'x'.repeat(200) + i }));
    const text = encodeRun({ v: 1, spec: spec(), progress: { ...p, history: big } });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_ANNOTATION_BYTES);
    const back = decodeRun(text);
    expect(back?.ok && back.run.progress.history.at(-1)?.message.endsWith('1999')).toBe(true);
  });

  it('a lease is live for three intervals (at least 30 s)', () => {
    expect(leaseTtlSec(2)).toBe(30);
    expect(leaseTtlSec(60)).toBe(190);
    const p = withLease(initialProgress(T0, 'ana'), 'i', 'ana@x', 2, T0);
    expect(leaseLive(p.lease, new Date(T0.getTime() + 29_000))).toBe(true);
    expect(leaseLive(p.lease, new Date(T0.getTime() + 30_000))).toBe(false);
    expect(leaseLive(null, T0)).toBe(false);
  });
});
