import type { ZodError } from 'zod';
import { contract, isRequestChannel, isSubscriptionChannel } from '../../shared/contract';
import type { Channel } from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import type { ApiErrorShape, Result } from '../../shared/errors';
import type { CallContext, RequestHandlers, SubscriptionHandlers } from './types';

export type AllHandlers = RequestHandlers & SubscriptionHandlers;

/**
 * The router: contract -> handlers. It validates every input with the channel's schema and turns
 * every failure into a typed error. It never throws to a transport and never knows which one
 * called it.
 */
export interface Router {
  invoke(channel: unknown, input: unknown, ctx: CallContext): Promise<Result<unknown>>;
  /** Starts a subscription. Errors (bad input, handler failure) go to `onError`; stop with ctx.signal. */
  subscribe(channel: unknown, input: unknown, ctx: CallContext, onEvent: (e: unknown) => void, onError: (e: ApiErrorShape) => void): void;
}

export function zodPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => {
    if (typeof seg === 'number') return `${acc}[${seg}]`;
    const s = String(seg);
    return acc === '' ? s : `${acc}.${s}`;
  }, '');
}

export function badInputFrom(channel: string, err: ZodError): ApiError {
  const first = err.issues[0];
  const field = first ? zodPath(first.path) : '';
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problem${err.issues.length > 2 ? 's' : ''})` : '';
  const where = field === '' ? 'input' : `'${field}'`;
  return new ApiError('BAD_INPUT', `${channel}: ${where}: ${first?.message ?? 'invalid input'}${more}`, { field });
}

/** Anything thrown by a service becomes an ApiErrorShape; unknown errors keep their message only. */
export function toErrorShape(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return err.toJSON();
  if (err instanceof Error && err.name === 'AbortError') return { code: 'CANCELLED', message: 'The call was cancelled.' };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: message || 'Internal error' };
}

function parse(channel: Channel, input: unknown) {
  const res = contract[channel].input.safeParse(input ?? {});
  if (!res.success) throw badInputFrom(channel, res.error);
  return res.data;
}

export function createRouter(handlers: AllHandlers): Router {
  const table = handlers as unknown as Record<string, (...args: unknown[]) => unknown>;
  return {
    async invoke(channel, input, ctx) {
      try {
        if (!isRequestChannel(channel)) {
          throw new ApiError('UNKNOWN_CHANNEL', `No request channel named ${JSON.stringify(String(channel)).slice(0, 200)}.`);
        }
        const parsed = parse(channel, input);
        const value = await (table[channel] as (i: unknown, c: CallContext) => Promise<unknown>)(parsed, ctx);
        return { ok: true, value };
      } catch (err) {
        return { ok: false, error: toErrorShape(err) };
      }
    },
    subscribe(channel, input, ctx, onEvent, onError) {
      try {
        if (!isSubscriptionChannel(channel)) {
          throw new ApiError('UNKNOWN_CHANNEL', `No subscription channel named ${JSON.stringify(String(channel)).slice(0, 200)}.`);
        }
        const parsed = parse(channel, input);
        const emit = (e: unknown) => {
          if (!ctx.signal.aborted) onEvent(e);
        };
        const run = (table[channel] as (i: unknown, emit: (e: unknown) => void, c: CallContext) => unknown)(parsed, emit, ctx);
        if (run instanceof Promise) run.catch((err: unknown) => { if (!ctx.signal.aborted) onError(toErrorShape(err)); });
      } catch (err) {
        onError(toErrorShape(err));
      }
    },
  };
}
