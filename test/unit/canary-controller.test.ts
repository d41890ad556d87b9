import { describe, expect, it } from 'vitest';
import { RunDriver } from '../../main/canary/controller';
import type { ControllerDeps } from '../../main/canary/controller';
import { decodeRun, encodeRun, withLease } from '../../main/canary/persistence';
import { createCanaryService } from '../../main/canary/service';
import { initialProgress } from '../../main/canary/state-machine';
import { runIdOf } from '../../shared/canary/spec';
import type { CanarySpec } from '../../shared/canary/spec';
import type { StoredRun } from '../../shared/canary/types';
import { CANARY_ANNOTATION } from '../../shared/canary/spec';
import { catalogVirtualService, FakeClock, FakeProm, FakeStore, REF, spec } from '../fixtures/canary/fakes';

const ME = { id: 'inst-me', name: 'ana@laptop' };
const signal = new AbortController().signal;

function setup(s: CanarySpec = spec(), holder = ME) {
  const clock = new FakeClock();
  const store = new FakeStore(catalogVirtualService(100, 0));
  const prom = new FakeProm();
  const progress = withLease(initialProgress(clock.now(), holder.name), holder.id, holder.name, s.intervalSec, clock.now());
  store.edit((o) => {
    o.metadata = { ...o.metadata, annotations: { [CANARY_ANNOTATION]: encodeRun({ v: 1, spec: s, progress }) } };
  });
  const stopped: string[] = [];
  const deps: ControllerDeps = {
    store, prometheus: () => prom, gates: null, clock, identity: ME, fieldManager: 'meshdeck-canary', pollMs: 5000,
    onObserved: () => undefined, onStopped: (_r, why) => stopped.push(why), onError: () => undefined,
  };
  const driver = () => new RunDriver(REF, deps);
  const run = (): StoredRun => {
    const d = decodeRun(store.obj.metadata?.annotations?.[CANARY_ANNOTATION]);
    if (!d?.ok) throw new Error('no run');
    return d.run;
  };
  return { clock, store, prom, deps, driver, run, stopped };
}

describe('canary controller', () => {
  it('a healthy canary walks the steps with ONE weight write per step and succeeds', async () => {
    const { clock, store, driver, run } = setup();
    const d = driver();
    expect(await d.turn(signal)).toEqual({ waitMs: 0 }); // begin
    expect(store.weights()).toEqual([90, 10]);
    expect(store.weightWrites).toBe(1);
    const idle = await d.turn(signal);
    expect(idle.waitMs).toBe(5000); // poll, not due yet
    clock.advance(10_000);
    await d.turn(signal); // checks pass → step 2
    expect(store.weights()).toEqual([50, 50]);
    expect(store.weightWrites).toBe(2);
    expect(run().progress.lastResults?.map((r) => r.outcome)).toEqual(['pass', 'pass']);
    clock.advance(10_000);
    await d.turn(signal); // → promoting
    expect(store.weights()).toEqual([0, 100]);
    expect(run().progress.state).toBe('promoting');
    await d.turn(signal); // → succeeded (annotation only)
    expect(run().progress.state).toBe('succeeded');
    expect(store.weightWrites).toBe(3);
    expect(await d.turn(signal)).toEqual({ stop: 'The run is succeeded.' });
    // Every write carried the state with the weights: state and weights never disagree.
    for (const w of store.writes) expect(w.annotation).toBeTruthy();
  });

  it('a faulty canary rolls back to 100 % stable after `threshold` failed checks, with the values', async () => {
    const { clock, store, prom, driver, run } = setup();
    prom.successRate = 68.4;
    prom.p99 = 910;
    const d = driver();
    await d.turn(signal);
    clock.advance(10_000);
    await d.turn(signal);
    expect(run().progress.failedChecks).toBe(1);
    expect(store.weights()).toEqual([90, 10]);
    clock.advance(10_000);
    await d.turn(signal);
    const p = run().progress;
    expect(p.state).toBe('rolledBack');
    expect(store.weights()).toEqual([100, 0]);
    expect(p.failure?.results.map((r) => [r.check, r.value, r.outcome])).toEqual([['success-rate', 68.4, 'fail'], ['latency-p99', 910, 'fail']]);
    expect(p.message).toMatch(/success-rate 68\.4 %.*latency-p99 910 ms/);
  });

  it('no traffic with policy "hold" holds the step, never advancing or failing', async () => {
    const { clock, store, prom, driver, run } = setup(spec({ noData: 'hold' }));
    prom.successRate = null;
    prom.p99 = null;
    const d = driver();
    await d.turn(signal);
    for (let i = 0; i < 4; i++) {
      clock.advance(10_000);
      await d.turn(signal);
    }
    expect(run().progress).toMatchObject({ state: 'progressing', stepIndex: 0, failedChecks: 0, heldChecks: 4 });
    expect(store.weights()).toEqual([90, 10]);
  });

  it('a restarted app resumes at the same step without restarting or shortening it', async () => {
    const { clock, driver, run } = setup();
    await driver().turn(signal); // begin at t0
    const before = run().progress;
    clock.advance(4_000);
    // "Restart": a brand-new driver with nothing in memory.
    const fresh = driver();
    const r = await fresh.turn(signal);
    expect(r.waitMs).toBe(5000);
    clock.advance(5_000);
    expect((await fresh.turn(signal)).waitMs).toBe(1000); // 1 s left of the original 10 s step
    expect(run().progress.stepIndex).toBe(0);
    expect(run().progress.stepStartedAt).toBe(before.stepStartedAt);
    clock.advance(1_000);
    await fresh.turn(signal);
    expect(run().progress.stepIndex).toBe(1);
  });

  it('a weight edit by someone else pauses the run with the drift, and does not fight it', async () => {
    const { store, driver, run } = setup();
    const d = driver();
    await d.turn(signal);
    store.edit((o) => {
      const http = (o.spec as { http: { route: { weight: number }[] }[] }).http;
      http[1]!.route[0]!.weight = 60;
      http[1]!.route[1]!.weight = 40;
    });
    await d.turn(signal);
    const p = run().progress;
    expect(p.state).toBe('paused');
    expect(p.drift).toMatchObject({ expected: { stable: 90, canary: 10 }, observed: { stable: 60, canary: 40 } });
    expect(store.weights()).toEqual([60, 40]);
    expect(await d.turn(signal)).toEqual({ stop: 'The run is paused.' });
  });

  it('stops when another meshdeck holds a live lease; a stale read fails with CONFLICT', async () => {
    const other = setup(spec(), { id: 'inst-other', name: 'bob@desk' });
    expect(await other.driver().turn(signal)).toEqual({ stop: 'Driven by bob@desk.' });
    other.clock.advance(41_000); // the lease (3 intervals + 10 s) has expired
    expect(await other.driver().turn(signal)).toEqual({ waitMs: 0 });

    const { store, deps } = setup();
    const realRead = store.read.bind(store);
    store.read = async (ref) => {
      const r = await realRead(ref);
      store.edit(() => undefined); // someone writes between our read and our write
      return r;
    };
    await expect(new RunDriver(REF, deps).turn(signal)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('canary service (fakes)', () => {
  it('starts, drives to success on its own timers, and refuses a second run', async () => {
    const store = new FakeStore(catalogVirtualService(100, 0));
    const prom = new FakeProm();
    const svc = createCanaryService({
      connections: () => [{ contextId: 'ctx', contextName: 'sandbox', server: null, status: 'connected', serverVersion: null, namespaces: [], namespacesTruncated: false, detected: null, error: null, warnings: [], connectedAt: null }],
      store, prometheus: () => prom, identity: ME, pollMs: 50,
    });
    try {
      const events: string[] = [];
      svc.watch((m) => { if (m.type === 'run') events.push(m.run.progress.state); });
      const s = spec({ intervalSec: 1, steps: { kind: 'list', weights: [50] } });
      const run = await svc.start('ctx', s);
      expect(run.id).toBe(runIdOf('ctx', REF));
      await expect(svc.start('ctx', s)).rejects.toMatchObject({ code: 'CONFLICT' });
      const deadline = Date.now() + 8000;
      while ((await svc.get(run.id)).progress.state !== 'succeeded' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await svc.get(run.id)).progress.state).toBe('succeeded');
      expect(store.weights()).toEqual([0, 100]);
      expect(events).toContain('progressing');
      // A finished run can be replaced by a new one.
      store.edit((o) => {
        const http = (o.spec as { http: { route: { weight: number }[] }[] }).http;
        http[1]!.route[0]!.weight = 100;
        http[1]!.route[1]!.weight = 0;
      });
      const again = await svc.start('ctx', s);
      expect(again.progress.attempt).toBe(2);
      await svc.command(again.id, 'abort');
      expect((await svc.get(again.id)).progress.state).toBe('aborted');
    } finally {
      await svc.close();
    }
  });

  it('commands from a meshdeck without the lease: abort is allowed, promote is refused with the holder', async () => {
    const s = spec({ intervalSec: 60 });
    const store = new FakeStore(catalogVirtualService(100, 0));
    const progress = withLease(initialProgress(new Date(), 'bob@desk'), 'inst-other', 'bob@desk', 60, new Date());
    store.edit((o) => {
      o.metadata = { ...o.metadata, annotations: { [CANARY_ANNOTATION]: encodeRun({ v: 1, spec: s, progress }) } };
    });
    const svc = createCanaryService({ connections: () => [], store, prometheus: () => new FakeProm(), identity: ME, pollMs: 60_000 });
    try {
      const id = runIdOf('ctx', REF);
      await expect(svc.command(id, 'promote')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('bob@desk') });
      await expect(svc.takeOver(id)).rejects.toMatchObject({ code: 'CONFLICT' });
      const r = await svc.command(id, 'abort');
      expect(r.progress.state).toBe('aborted');
      expect(r.progress.history.at(-1)?.by).toBe('ana@laptop');
    } finally {
      await svc.close();
    }
  });
});
