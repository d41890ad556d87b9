/** Window bounds restored only where a display still is (pure; no Electron). */
import { describe, expect, it } from 'vitest';
import { restoreBounds } from '../../main/electron/window-state';

const primary = { x: 0, y: 0, width: 1920, height: 1040 };
const right = { x: 1920, y: 0, width: 2560, height: 1400 };
const st = (bounds: { x: number; y: number; width: number; height: number } | null) => ({ bounds, maximized: false, fullScreen: false, zoomLevel: 0 });

describe('restoreBounds', () => {
  it('defaults when nothing was saved', () => expect(restoreBounds(st(null), [primary])).toEqual({ width: 1400, height: 900 }));
  it('restores a position that is on a display', () => {
    expect(restoreBounds(st({ x: 2000, y: 100, width: 1600, height: 1000 }), [primary, right])).toEqual({ x: 2000, y: 100, width: 1600, height: 1000 });
  });
  it('drops the position when that monitor is gone, and fits the size to the primary display', () => {
    expect(restoreBounds(st({ x: 2000, y: 100, width: 2400, height: 1300 }), [primary])).toEqual({ width: 1920, height: 1040 });
  });
  it('a window whose title bar is off screen (above the top) is re-centred', () => {
    expect(restoreBounds(st({ x: 100, y: -500, width: 800, height: 600 }), [primary])).toEqual({ width: 800, height: 600 });
  });
  it('a sliver at the edge is not enough', () => {
    expect(restoreBounds(st({ x: 1900, y: 10, width: 800, height: 600 }), [primary])).toEqual({ width: 800, height: 600 });
  });
});
