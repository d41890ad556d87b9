import { useEffect, useRef } from 'react';

/**
 * Shell commands (menu items, keyboard shortcuts) as DOM events, so any view can take part
 * without knowing where the command came from: `useShellCommand('find', () => { focusBox(); return true; })`.
 * A handler returns true when it handled the command; the shell then does not fall back
 * (e.g. switch context without a picker on screen goes to the Clusters view).
 */
export type ShellCommand = 'refresh' | 'find' | 'switchContext' | 'toggleTheme';
export const SHELL_COMMAND_EVENT = 'meshdeck:command';

/** Dispatches the command; true if a view handled it. */
export function dispatchShellCommand(command: ShellCommand): boolean {
  const ev = new CustomEvent<{ command: ShellCommand }>(SHELL_COMMAND_EVENT, { detail: { command }, cancelable: true });
  return !window.dispatchEvent(ev);
}

export function useShellCommand(command: ShellCommand, handler: () => boolean | void): void {
  const ref = useRef(handler);
  useEffect(() => { ref.current = handler; });
  useEffect(() => {
    const on = (e: Event) => {
      const detail = (e as CustomEvent<{ command: ShellCommand }>).detail;
      if (detail?.command !== command) return;
      if (ref.current() === true) e.preventDefault();
    };
    window.addEventListener(SHELL_COMMAND_EVENT, on);
    return () => window.removeEventListener(SHELL_COMMAND_EVENT, on);
  }, [command]);
}

export interface Shortcut { keys: string; command: ShellCommand | 'zoom'; what: string }

/** The shortcuts, as shown in Settings. On the desktop the menu owns them; in web mode the shell listens. */
export const SHORTCUTS: { desktop: Shortcut[]; web: Shortcut[] } = {
  desktop: [
    { keys: 'F5 / Ctrl+R', command: 'refresh', what: 'Refresh the current view' },
    { keys: 'Ctrl+F', command: 'find', what: 'Find in the current view' },
    { keys: 'Ctrl+K', command: 'switchContext', what: 'Switch cluster context' },
    { keys: 'Ctrl+Shift+L', command: 'toggleTheme', what: 'Toggle light/dark theme' },
    { keys: 'Ctrl+= / Ctrl+- / Ctrl+0', command: 'zoom', what: 'Zoom in / out / reset' },
  ],
  web: [
    { keys: 'Alt+R', command: 'refresh', what: 'Refresh the current view (F5 reloads the page)' },
    { keys: 'Ctrl+F', command: 'find', what: 'Find in the current view (browser find when the view has none)' },
    { keys: 'Ctrl+K', command: 'switchContext', what: 'Switch cluster context' },
    { keys: 'Ctrl+Shift+L', command: 'toggleTheme', what: 'Toggle light/dark theme' },
    { keys: 'Ctrl+= / Ctrl+- / Ctrl+0', command: 'zoom', what: 'Browser zoom' },
  ],
};

/** Web mode: which command a key press means, if any. Cmd counts as Ctrl on macOS. */
export function commandForKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): ShellCommand | null {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && e.shiftKey && !e.altKey && k === 'l') return 'toggleTheme';
  if (mod && !e.shiftKey && !e.altKey && k === 'k') return 'switchContext';
  if (mod && !e.shiftKey && !e.altKey && k === 'f') return 'find';
  if (e.altKey && !mod && !e.shiftKey && (k === 'r' || e.key === '®')) return 'refresh';
  return null;
}
