import type { AppInfo } from '../../shared/contract/app';
import type { HandlersFor } from '../api/types';
import { sleep } from '../util/abort';
import type { MainOptions } from './options';

export function appHandlers(opts: MainOptions): HandlersFor<'app'> {
  return {
    'app.info': async (_input, ctx): Promise<AppInfo> => ({
      name: 'meshdeck',
      version: opts.version,
      transport: ctx.transport,
      platform: process.platform,
      versions: { node: process.versions.node, electron: process.versions.electron ?? null, chrome: process.versions.chrome ?? null },
      sandbox: opts.sandbox ? { kubeconfig: opts.sandbox.kubeconfig } : null,
    }),
    'app.echo': async (input, ctx) => {
      if (input.delayMs > 0) await sleep(input.delayMs, ctx.signal);
      return { text: input.text };
    },
    'app.ticks': async (input, emit, ctx) => {
      for (let n = 1; n <= input.count; n++) {
        await sleep(input.everyMs, ctx.signal).catch(() => undefined);
        if (ctx.signal.aborted) return;
        emit({ n, at: new Date().toISOString() });
      }
    },
  };
}
