import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';

export type ThemeChoice = 'dark' | 'light' | 'system';
const KEY = 'meshdeck.theme';
const LIGHT_QUERY = '(prefers-color-scheme: light)';

function subscribeSystem(cb: () => void): () => void {
  const mq = window.matchMedia?.(LIGHT_QUERY);
  mq?.addEventListener('change', cb);
  return () => mq?.removeEventListener('change', cb);
}
const systemIsLight = () => window.matchMedia?.(LIGHT_QUERY).matches ?? false;

export function initialChoice(): ThemeChoice {
  const fromUrl = new URLSearchParams(window.location.search).get('theme');
  if (fromUrl === 'dark' || fromUrl === 'light' || fromUrl === 'system') return fromUrl;
  const saved = window.localStorage.getItem(KEY);
  return saved === 'dark' || saved === 'light' || saved === 'system' ? saved : 'system';
}

export function resolveTheme(choice: ThemeChoice, light: boolean): 'dark' | 'light' {
  return choice === 'system' ? (light ? 'light' : 'dark') : choice;
}

// Set before React's first paint, so there is no flash of the wrong theme.
document.documentElement.dataset.theme = resolveTheme(initialChoice(), systemIsLight());

/** Theme choice; `?theme=light` in the URL wins (used by screenshots and deep links). */
export function useTheme(): { choice: ThemeChoice; effective: 'dark' | 'light'; setChoice: (c: ThemeChoice) => void; toggle: () => void } {
  const [choice, setChoiceState] = useState<ThemeChoice>(initialChoice);
  const light = useSyncExternalStore(subscribeSystem, systemIsLight);
  const effective = resolveTheme(choice, light);
  useEffect(() => {
    document.documentElement.dataset.theme = effective;
  }, [effective]);
  const setChoice = useCallback((c: ThemeChoice) => {
    window.localStorage.setItem(KEY, c);
    setChoiceState(c);
  }, []);
  const toggle = useCallback(() => setChoice(effective === 'dark' ? 'light' : 'dark'), [effective, setChoice]);
  return { choice, effective, setChoice, toggle };
}
