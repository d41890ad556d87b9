/** Small helpers so every remote call has a timeout and a cancel. */

export function abortError(message = 'The operation was cancelled.'): Error {
  return Object.assign(new Error(message), { name: 'AbortError' });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when the caller's does, or after `ms`, whichever comes first. */
export function withTimeout(ms: number, signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, t]) : t;
}

/** True when an error came from a TimeoutSignal rather than a user cancel. */
export function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}

/**
 * Settles with `p`, or rejects as soon as `signal` aborts (the work behind `p` may go on; the
 * caller stops waiting). With `keepReason`, an Error reason (e.g. a TimeoutError) is passed on
 * so callers can tell a timeout from a user cancel.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined, opts: { keepReason?: boolean } = {}): Promise<T> {
  if (!signal) return p;
  const reason = () => (opts.keepReason && signal.reason instanceof Error ? signal.reason : abortError());
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
