import { useCallback, useEffect, useState } from 'react';

export type ThemeChoice = 'dark' | 'light' | 'system';
const KEY = 'meshdeck.theme';

function systemTheme(): 'dark' | 'light' {
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function applyTheme(choice: ThemeChoice): 'dark' | 'light' {
  const t = choice === 'system' ? systemTheme() : choice;
  document.documentElement.dataset.theme = t;
  return t;
}

/** Theme choice; `?theme=light` in the URL wins (used by screenshots and deep links). */
export function useTheme(): { choice: ThemeChoice; effective: 'dark' | 'light'; setChoice: (c: ThemeChoice) => void; toggle: () => void } {
  const [choice, setChoiceState] = useState<ThemeChoice>(() => {
    const fromUrl = new URLSearchParams(window.location.search).get('theme');
    if (fromUrl === 'dark' || fromUrl === 'light' || fromUrl === 'system') return fromUrl;
    const saved = window.localStorage.getItem(KEY);
    return saved === 'dark' || saved === 'light' || saved === 'system' ? saved : 'system';
  });
  const [effective, setEffective] = useState<'dark' | 'light'>(() => applyTheme(choice));
  useEffect(() => {
    setEffective(applyTheme(choice));
    if (choice !== 'system') return;
    const mq = window.matchMedia('(prefers-color-scheme: light)');
    const on = () => setEffective(applyTheme('system'));
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, [choice]);
  const setChoice = useCallback((c: ThemeChoice) => {
    window.localStorage.setItem(KEY, c);
    setChoiceState(c);
  }, []);
  const toggle = useCallback(() => setChoice(effective === 'dark' ? 'light' : 'dark'), [effective, setChoice]);
  return { choice, effective, setChoice, toggle };
}
