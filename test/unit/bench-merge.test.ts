import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../bench/run';

describe('bench results merge', () => {
  it('replaces re-run sections and keeps the others', () => {
    const first = mergeResults('', new Map([['graph', '## Graph\nold graph'], ['eventstore', '## Event store\nold es']]), '- notes 1');
    const second = mergeResults(first, new Map([['graph', '## Graph\nnew graph']]), '- notes 2');
    expect(second).toContain('new graph');
    expect(second).not.toContain('old graph');
    expect(second).toContain('old es');
    expect(second).toContain('- notes 2');
    expect(second.match(/bench:graph:start/g)).toHaveLength(1);
  });
});
