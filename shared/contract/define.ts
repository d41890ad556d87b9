import type { z } from 'zod';

/**
 * A request: one call, one answer. The input schema is checked in main before any service runs;
 * the output is a TypeScript type only (main produces it, the renderer consumes it).
 */
export interface RequestDef<I extends z.ZodType, O> {
  readonly kind: 'request';
  readonly input: I;
  readonly doc: string;
  /** Phantom: carries the output type, never read at run time. */
  readonly _output?: O;
}

/** A subscription: the client asks once, main pushes values until the client unsubscribes. */
export interface SubscriptionDef<I extends z.ZodType, E> {
  readonly kind: 'subscription';
  readonly input: I;
  readonly doc: string;
  readonly _event?: E;
}

export const request = <I extends z.ZodType>(input: I, doc: string) => ({
  returns: <O>(): RequestDef<I, O> => ({ kind: 'request', input, doc }),
});

export const subscription = <I extends z.ZodType>(input: I, doc: string) => ({
  emits: <E>(): SubscriptionDef<I, E> => ({ kind: 'subscription', input, doc }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- type-level only: matches any def
export type AnyDef = RequestDef<z.ZodType, any> | SubscriptionDef<z.ZodType, any>;
