import { describe, expect, it } from 'vitest';
import { readModel } from '../../main/traffic/plan';
import { durationError, validateOp } from '../../shared/traffic/validate';
import { apportion, evenWeights, rebalance, weightSum } from '../../shared/traffic/weights';
import { snapshot } from '../helpers/traffic-fixtures';

const istio = () => readModel(snapshot('reviews.virtualservice.yaml', 'bookinfo.context.yaml', 'bookinfo', ['reviews.destinationrule.yaml']));
const gw = () => readModel(snapshot('search.httproute.yaml', 'shop.context.yaml', 'shop'));

describe('validation messages name the field and the reason', () => {
  it('Istio weights: whole numbers 0–100 that add up to 100', () => {
    expect(validateOp(istio(), { op: 'setWeights', weights: { v1: 70, v2: 20 } })).toEqual([
      { field: 'weights', message: 'Istio needs the weights of a route to add up to 100; these add up to 90.' },
    ]);
    expect(validateOp(istio(), { op: 'setWeights', weights: { v1: 50.5, v2: 49.5 } }).map((i) => i.field)).toEqual(['weights.v1', 'weights.v2']);
    expect(validateOp(istio(), { op: 'setWeights', weights: { v1: 120, v2: -20 } })[0]!.message).toBe('The weight of v1 must be from 0 to 100 (got 120).');
    expect(validateOp(istio(), { op: 'setWeights', weights: { v1: 70, v2: 20, v9: 10 } })).toEqual([
      { field: 'weights.v9', message: '"v9" is neither a subset of the DestinationRule nor the version label of a workload behind reviews.' },
    ]);
    expect(validateOp(istio(), { op: 'setWeights', weights: { v1: 50, v2: 50 } })).toEqual([]);
  });

  it('Gateway API weights are proportional but not all zero, backends must exist', () => {
    expect(validateOp(gw(), { op: 'setWeights', weights: { 'search-v1': 3, 'search-v2': 1 } })).toEqual([]);
    expect(validateOp(gw(), { op: 'setWeights', weights: { 'search-v1': 0, 'search-v2': 0 } })[0]!.message).toMatch(/above 0/);
    expect(validateOp(gw(), { op: 'setWeights', weights: { 'search-v9': 1 } })[0]).toEqual({ field: 'weights.search-v9', message: 'There is no Service "search-v9" in namespace shop to send traffic to.' });
  });

  it('faults: durations, percentages, HTTP status', () => {
    const issues = validateOp(istio(), { op: 'setFault', fault: { delay: { fixedDelay: '5 seconds', percent: 150 }, abort: { httpStatus: 600, percent: -1 } } });
    expect(issues).toEqual([
      { field: 'fault.delay.fixedDelay', message: 'The delay "5 seconds" is not a duration: a number and a unit (h, m, s or ms), e.g. 5s, 1.5s or 250ms.' },
      { field: 'fault.delay.percent', message: 'The delay percentage must be from 0 to 100 (got 150).' },
      { field: 'fault.abort.httpStatus', message: 'The abort status must be an HTTP status code from 100 to 599 (got 600).' },
      { field: 'fault.abort.percent', message: 'The abort percentage must be from 0 to 100 (got -1).' },
    ]);
    expect(validateOp(istio(), { op: 'setFault', fault: { delay: { fixedDelay: '0s', percent: 10 }, abort: null } })[0]!.message).toBe('The delay must be at least 1ms.');
    expect(validateOp(istio(), { op: 'setFault', fault: { delay: { fixedDelay: '250ms', percent: 12.5 }, abort: { httpStatus: 503, percent: 50 } } })).toEqual([]);
  });

  it('durations per mesh', () => {
    expect(durationError('1.5s', 'istio')).toBeNull();
    expect(durationError('1m30s', 'istio')).not.toBeNull();
    expect(durationError('1m30s', 'gateway-api')).toBeNull();
    expect(durationError('1.5s', 'gateway-api')).toMatch(/whole numbers/);
  });

  it('A/B routes, retries, mirror, route selector', () => {
    expect(validateOp(istio(), { op: 'addHeaderMatchRoute', kind: 'header', name: 'bad header', value: '', destination: 'v2' }).map((i) => i.field)).toEqual(['name', 'value']);
    expect(validateOp(istio(), { op: 'addHeaderMatchRoute', kind: 'header', name: 'x', value: '(', matchType: 'regex', destination: 'v2' })[0]!.field).toBe('value');
    expect(validateOp(istio(), { op: 'addHeaderMatchRoute', kind: 'cookie', name: 'user', value: 'a;b', destination: 'v2' })[0]!.message).toMatch(/cookie value/);
    expect(validateOp(istio(), { op: 'setRetries', retries: { attempts: 2.5, perTryTimeout: 'x', retryOn: '5xx, reset' } }).map((i) => i.field)).toEqual([
      'retries.attempts', 'retries.perTryTimeout', 'retries.retryOn',
    ]);
    expect(validateOp(istio(), { op: 'setMirror', mirror: { destination: 'nope', percent: 101 } }).map((i) => i.field)).toEqual(['mirror.destination', 'mirror.percent']);
    expect(validateOp(istio(), { op: 'setTimeout', timeout: '1s', route: 7 })[0]).toEqual({ field: 'route', message: 'There is no route 7: the object has 3 routes.' });
    expect(validateOp(istio(), { op: 'removeRoute', route: 2 })[0]!.message).toMatch(/default route/);
  });
});

describe('weight sliders', () => {
  it('apportions whole numbers that add up', () => {
    expect(apportion([1, 1, 1], 100)).toEqual([34, 33, 33]);
    expect(apportion([0, 0], 10)).toEqual([5, 5]);
    expect(evenWeights(3)).toEqual([33, 33, 34]);
  });

  it('moving one slider redistributes the unlocked rows and keeps 100', () => {
    const rows = [
      { name: 'v1', weight: 80, locked: false },
      { name: 'v2', weight: 20, locked: false },
      { name: 'v3', weight: 0, locked: false },
    ];
    const r = rebalance(rows, 'v1', 50);
    expect(r.map((x) => x.weight)).toEqual([50, 50, 0]);
    expect(weightSum(r)).toBe(100);
    const locked = rebalance([{ ...rows[0]!, weight: 60 }, { ...rows[1]!, weight: 30, locked: true }, { ...rows[2]!, weight: 10 }], 'v1', 90);
    expect(locked.map((x) => x.weight)).toEqual([70, 30, 0]);
    // Nothing unlocked to take the rest: the moved row takes what is left.
    expect(rebalance([{ name: 'a', weight: 40, locked: true }, { name: 'b', weight: 60, locked: false }], 'b', 10).map((x) => x.weight)).toEqual([40, 60]);
  });
});
