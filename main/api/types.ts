import type { EventOf, OutputOf, ParsedInputOf, RequestChannel, SubscriptionChannel } from '../../shared/contract';

export interface CallContext {
  /** Aborted when the caller cancels, disconnects, or the app shuts down. */
  signal: AbortSignal;
  transport: 'ipc' | 'web';
}

export type RequestHandler<K extends RequestChannel> = (input: ParsedInputOf<K>, ctx: CallContext) => Promise<OutputOf<K>>;

/** A subscription handler pushes events through `emit` until `ctx.signal` aborts. */
export type SubscriptionHandler<K extends SubscriptionChannel> = (
  input: ParsedInputOf<K>,
  emit: (event: EventOf<K>) => void,
  ctx: CallContext,
) => void | Promise<void>;

export type RequestHandlers = { [K in RequestChannel]: RequestHandler<K> };
export type SubscriptionHandlers = { [K in SubscriptionChannel]: SubscriptionHandler<K> };

/** Each capability module contributes the handlers for its own channels. */
export type HandlersFor<P extends string> = {
  [K in RequestChannel as K extends `${P}.${string}` ? K : never]: RequestHandler<K>;
} & {
  [K in SubscriptionChannel as K extends `${P}.${string}` ? K : never]: SubscriptionHandler<K>;
};
