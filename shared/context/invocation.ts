import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What one invocation (an HTTP request, or one consumed event) knows about the work it belongs to.
 * The HTTP middleware and the event consumers set it; `publish` reads it so every event it sends carries
 * the correlation id of the work that caused it.
 */
export interface Invocation {
  /** Follows a piece of work across services: the request id that started it, passed on by every hop. */
  readonly correlationId: string;
}

// AsyncLocalStorage, not a module variable: records processed concurrently in one sandbox must not share it.
const storage = new AsyncLocalStorage<Invocation>();

/**
 * Runs `fn` with `invocation` as the current invocation; everything `fn` awaits sees it.
 *
 * @example
 * ```ts
 * await runWithInvocation({ correlationId: event.requestContext.requestId }, () => handle(event));
 * ```
 */
export function runWithInvocation<T>(invocation: Invocation, fn: () => T): T {
  return storage.run(invocation, fn);
}

/**
 * The current invocation, or `undefined` outside {@link runWithInvocation}.
 *
 * @example
 * ```ts
 * currentInvocation()?.correlationId;
 * ```
 */
export function currentInvocation(): Invocation | undefined {
  return storage.getStore();
}

/**
 * The correlation id of the current invocation, or `undefined` outside {@link runWithInvocation}.
 *
 * @example
 * ```ts
 * const correlationId = currentCorrelationId() ?? randomUUID();
 * ```
 */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
