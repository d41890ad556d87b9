/**
 * Runs `fn` with a signal that aborts when the caller's signal does or after `ms`, whichever comes
 * first, and clears its timer as soon as `fn` settles.
 *
 * Why not `withTimeout` (AbortSignal.timeout + AbortSignal.any) on the hot paths: each call leaves
 * a 30 s timer alive after the request is long done and registers a dependant on the caller's
 * signal; at a page every millisecond that is thousands of live timers and weak references for the
 * garbage collector to trace, measurable on sub-millisecond requests.
 */
export async function withDeadline<T>(ms: number, signal: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal.reason);
  if (signal.aborted) ac.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(new DOMException(`The operation timed out after ${ms} ms.`, 'TimeoutError')), ms);
  timer.unref();
  try {
    return await fn(ac.signal);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
