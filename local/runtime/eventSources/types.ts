import { setMaxListeners } from "node:events";
import type { Invocation } from "../FunctionPool.js";

/** Runs one invocation of a function by name, under the caller's trace header. */
export type Invoke = (fn: string, event: unknown, traceHeader?: string) => Promise<Invocation>;

/** A running event source: it stops taking new work and finishes the batch in hand. */
export interface EventSource {
  readonly name: string;
  /** False once its loop died of an error it could not recover from. */
  readonly healthy: boolean;
  stop(): Promise<void>;
}

/** What a function error looks like in failure records (Lambda's `responsePayload`). */
export interface FunctionErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: readonly string[];
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** A stop signal shared by a source's long polls (each SDK call listens on it while in flight). */
export function stopSignal(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/**
 * The event sources' default intervals (what `npm run dev` runs): an idle shard (Kinesis, DynamoDB stream) is read
 * again after `shardPollIntervalMs`; a queue is long-polled for `sqsWaitSeconds` (it answers as soon as a message
 * arrives). They set the local floor of a hop's latency; `npm run bench` prints them beside its figures.
 */
export const EVENT_SOURCE_DEFAULTS = { shardPollIntervalMs: 250, sqsWaitSeconds: 2 } as const;
