import { z } from 'zod';
import { request, subscription } from './define';

export interface AppInfo {
  name: string;
  version: string;
  /** Which door the UI came through: the Electron window or web mode. */
  transport: 'ipc' | 'web';
  platform: string;
  versions: { node: string; electron: string | null; chrome: string | null };
  /** Set when the app was started by `npm run demo`: the sandbox it is connected to. */
  sandbox: { kubeconfig: string } | null;
}

export const appContract = {
  'app.info': request(z.object({}).strict(), 'Name, version, transport and runtime versions.').returns<AppInfo>(),
  'app.echo': request(
    z.object({ text: z.string().max(10_000), delayMs: z.number().int().min(0).max(30_000).default(0) }).strict(),
    'Echo text back after an optional delay: a health probe for a transport and for cancel.',
  ).returns<{ text: string }>(),
  'app.ticks': subscription(
    z.object({ everyMs: z.number().int().min(10).max(60_000), count: z.number().int().min(1).max(1000).default(10) }).strict(),
    'Push a counter every `everyMs` ms, `count` times: a liveness probe for subscriptions.',
  ).emits<{ n: number; at: string }>(),
} as const;
