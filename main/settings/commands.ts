import type { DesktopCommand } from '../../shared/contract/settings';

/**
 * Menu commands and deep links on their way to the renderer (the `desktop.commands` channel).
 * A navigation that arrives while no window listens (the app was started by a deep link, or the
 * page is still loading) is kept, the latest one only, and delivered to the next listener.
 */
export class DesktopCommandBus {
  private readonly listeners = new Set<(c: DesktopCommand) => void>();
  private pendingNavigation: DesktopCommand | null = null;

  emit(command: DesktopCommand): void {
    if (this.listeners.size === 0) {
      if (command.command === 'navigate') this.pendingNavigation = command;
      return;
    }
    for (const l of [...this.listeners]) l(command);
  }

  listen(listener: (c: DesktopCommand) => void): () => void {
    this.listeners.add(listener);
    const pending = this.pendingNavigation;
    this.pendingNavigation = null;
    if (pending) listener(pending);
    return () => { this.listeners.delete(listener); };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
