import { useCallback, useSyncExternalStore } from 'react';

export type ThemeChoice = 'dark' | 'light' | 'system';
const KEY = 'meshdeck.theme';

const isChoice = (v: unknown): v is ThemeChoice => v === 'dark' || v === 'light' || v === 'system';

function systemTheme(): 'dark' | 'light' {
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function applyTheme(choice: ThemeChoice): 'dark' | 'light' {
  const t = choice === 'system' ? systemTheme() : choice;
  document.documentElement.dataset.theme = t;
  return t;
}

/**
 * One theme for the whole window: a module-level store, so the top bar toggle, the Settings view
 * and the menu command all see the same choice. localStorage gives the first paint the right
 * colours; the settings service (when connected, see `setThemePersister`) is where it is kept.
 * `?theme=light` in the URL wins for this page load and is never saved (screenshots, deep links).
 */
const urlChoice = (() => {
  const v = new URLSearchParams(window.location.search).get('theme');
  return isChoice(v) ? v : null;
})();
let choice: ThemeChoice = urlChoice ?? (() => {
  const saved = window.localStorage.getItem(KEY);
  return isChoice(saved) ? saved : 'system';
})();
let effective: 'dark' | 'light' = applyTheme(choice);
let persister: ((c: ThemeChoice) => void) | null = null;
const listeners = new Set<() => void>();
const notify = () => { for (const l of [...listeners]) l(); };

const mq = window.matchMedia?.('(prefers-color-scheme: light)');
mq?.addEventListener('change', () => {
  if (choice !== 'system') return;
  effective = applyTheme('system');
  notify();
});

/** Whether the theme came from the URL for this load (then saved settings do not override it). */
export const themeFromUrl = urlChoice !== null;

export function getThemeChoice(): ThemeChoice {
  return choice;
}

/**
 * Change the theme. `persist: false` is for a value that came from the settings service itself,
 * so it is not written back.
 */
export function setThemeChoice(c: ThemeChoice, opts: { persist?: boolean } = {}): void {
  if (!isChoice(c)) return;
  const changed = c !== choice;
  choice = c;
  effective = applyTheme(c);
  window.localStorage.setItem(KEY, c);
  if (changed) notify();
  if (opts.persist !== false) persister?.(c);
}

/** Where theme changes are saved beyond this window (the settings service); null to stop. */
export function setThemePersister(fn: ((c: ThemeChoice) => void) | null): void {
  persister = fn;
}

export function toggleTheme(): void {
  setThemeChoice(effective === 'dark' ? 'light' : 'dark');
}

const subscribe = (cb: () => void) => {
  listeners.add(cb);
  return () => { listeners.delete(cb); };
};

export function useTheme(): { choice: ThemeChoice; effective: 'dark' | 'light'; setChoice: (c: ThemeChoice) => void; toggle: () => void } {
  const c = useSyncExternalStore(subscribe, () => choice);
  const e = useSyncExternalStore(subscribe, () => effective);
  const setChoice = useCallback((next: ThemeChoice) => setThemeChoice(next), []);
  const toggle = useCallback(() => toggleTheme(), []);
  return { choice: c, effective: e, setChoice, toggle };
}
