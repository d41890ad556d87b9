import type { HandlersFor } from '../api/types';
import type { SettingsService } from './service';

/** `settings.*` and `desktop.*` channels. Nothing here returns a secret value. */
export function settingsHandlers(settings: SettingsService): HandlersFor<'settings'> & HandlersFor<'desktop'> {
  return {
    'settings.get': async () => settings.snapshot(),
    'settings.update': async (input) => settings.updatePreferences(input.preferences),
    'settings.export': async () => settings.exportJson(),
    'settings.import': async (input) => settings.importJson(input.json),
    'settings.notices': async () => settings.notices(),
    'settings.ackNotice': async (input) => settings.ackNotice(input.id),
    'settings.setSecret': async (input) => settings.setSecret(input.key, input.value),
    'settings.deleteSecret': async (input) => settings.deleteSecret(input.key),
    'settings.secrets': async () => settings.secretsInfo(),
    'settings.changed': async (_input, emit, ctx) => {
      // Snapshots are async (file health, secret status): send them in order, newest wins.
      let pending = Promise.resolve();
      const push = () => {
        pending = pending.then(async () => {
          if (!ctx.signal.aborted) emit(await settings.snapshot());
        }).catch(() => undefined);
      };
      const off = settings.onChange(push);
      ctx.signal.addEventListener('abort', off, { once: true });
      push();
    },
    'desktop.commands': (_input, emit, ctx) => {
      const off = settings.commands.listen(emit);
      ctx.signal.addEventListener('abort', off, { once: true });
    },
  };
}
