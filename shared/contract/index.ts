import type { z } from 'zod';
import type { AnyDef, RequestDef, SubscriptionDef } from './define';
import { appContract } from './app';
import { kubeContract } from './kube';
import { eventsContract } from './events';
import { settingsContract } from './settings';
import { graphContract } from './graph';
import { metricsContract } from './metrics';
import { trafficContract } from './traffic';
import { canaryContract } from './canary';
import { projectionsContract } from './projections';

/**
 * The one API contract. Each capability declares its channels in its own file; this object is
 * the union. Both transports (Electron IPC, web HTTP + WebSocket) carry exactly these channels.
 */
export const contract = {
  ...appContract,
  ...kubeContract,
  ...eventsContract,
  ...settingsContract,
  ...graphContract,
  ...metricsContract,
  ...trafficContract,
  ...canaryContract,
  ...projectionsContract,
} as const satisfies Record<string, AnyDef>;

export type Contract = typeof contract;
export type Channel = keyof Contract;

export type RequestChannel = { [K in Channel]: Contract[K] extends { kind: 'request' } ? K : never }[Channel];
export type SubscriptionChannel = { [K in Channel]: Contract[K] extends { kind: 'subscription' } ? K : never }[Channel];

/** What the caller passes (defaults may be omitted). */
export type InputOf<K extends Channel> = z.input<Contract[K]['input']>;
/** What the handler receives, after validation and defaults. */
export type ParsedInputOf<K extends Channel> = z.output<Contract[K]['input']>;
export type OutputOf<K extends RequestChannel> = Contract[K] extends RequestDef<z.ZodType, infer O> ? O : never;
export type EventOf<K extends SubscriptionChannel> = Contract[K] extends SubscriptionDef<z.ZodType, infer E> ? E : never;

export const requestChannels = Object.keys(contract).filter((k) => contract[k as Channel].kind === 'request') as RequestChannel[];
export const subscriptionChannels = Object.keys(contract).filter((k) => contract[k as Channel].kind === 'subscription') as SubscriptionChannel[];

export function isRequestChannel(name: unknown): name is RequestChannel {
  return typeof name === 'string' && Object.hasOwn(contract, name) && contract[name as Channel].kind === 'request';
}
export function isSubscriptionChannel(name: unknown): name is SubscriptionChannel {
  return typeof name === 'string' && Object.hasOwn(contract, name) && contract[name as Channel].kind === 'subscription';
}

export * from './define';
