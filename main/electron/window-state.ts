import type { WindowBounds, WindowState } from '../settings/schema';

export interface Rect { x: number; y: number; width: number; height: number }

const DEFAULT_SIZE = { width: 1400, height: 900 };
const MIN_VISIBLE = { width: 120, height: 40 };

function intersection(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.min(a.x + a.width, b.x + b.width) - x;
  const h = Math.min(a.y + a.height, b.y + b.height) - y;
  return w > 0 && h > 0 ? { x, y, width: w, height: h } : null;
}

/**
 * Where to open the window, from the saved state and the displays there are now. A monitor that
 * was unplugged must not leave the window off screen: the saved position is used only when the
 * top strip (where the title bar is) is visible on some display; otherwise the size is kept
 * (clamped to the primary display) and the OS centres it. Pure, so it is tested without Electron.
 */
export function restoreBounds(saved: WindowState, workAreas: readonly Rect[]): { width: number; height: number; x?: number; y?: number } {
  const primary = workAreas[0];
  const b: WindowBounds | null = saved.bounds;
  if (!b) return { ...DEFAULT_SIZE, ...(primary ? clampSize(DEFAULT_SIZE, primary) : {}) };
  const size = primary ? clampSize(b, primary) : { width: b.width, height: b.height };
  const titleStrip: Rect = { x: b.x, y: b.y, width: b.width, height: Math.min(b.height, 40) };
  const visible = workAreas.some((wa) => {
    const i = intersection(titleStrip, wa);
    return i !== null && i.width >= MIN_VISIBLE.width && i.height >= Math.min(MIN_VISIBLE.height, titleStrip.height);
  });
  return visible ? { x: b.x, y: b.y, width: b.width, height: b.height } : size;
}

function clampSize(s: { width: number; height: number }, area: Rect): { width: number; height: number } {
  return { width: Math.min(s.width, area.width), height: Math.min(s.height, area.height) };
}
