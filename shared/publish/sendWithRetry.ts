import { chunkBySize, type Sized } from "./chunkBySize.js";
import type { PublishFailure } from "./errors.js";
import type { ChunkLimits } from "./limits.js";
import type { RetryOptions } from "./options.js";

/** An entry of a batch request, with the event it carries. */
export interface BatchEntry extends Sized {
  readonly eventId: string;
  readonly type: string;
}

/** Why one entry of a request failed; `retryable: false` when sending it again cannot help. */
export interface EntryFailure<E> {
  readonly entry: E;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface BatchSender<E extends BatchEntry> {
  readonly limits: ChunkLimits;
  /** Sends one chunk and returns its failed entries. A thrown error fails the whole chunk. */
  send(chunk: readonly E[]): Promise<readonly EntryFailure<E>[]>;
}

const defaults = { attempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 } as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** "Full jitter" exponential backoff: a random delay up to base·2^(attempt-1), capped (AWS Architecture Blog). */
function backoff(attempt: number, retry: Required<RetryOptions>): number {
  return Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Sends `entries` in chunks and re-sends only the entries that failed, with backoff, a bounded number of times.
 * Batch APIs (PutEvents, PutRecords, PublishBatch, SendMessageBatch) answer 200 even when some entries failed,
 * so a whole-request retry would duplicate the entries that did get through.
 *
 * A thrown request error is not retried here: the SDK's own retry strategy already retried it if it was
 * transient. Returns the failures left at the end (empty when everything got out).
 *
 * @example
 * ```ts
 * const failures = await sendWithRetry(entries, { limits: limits.kinesis, send: putRecords }, { attempts: 3 });
 * ```
 */
export async function sendWithRetry<E extends BatchEntry>(
  entries: readonly E[],
  sender: BatchSender<E>,
  options: RetryOptions = {},
): Promise<PublishFailure[]> {
  const retry = { ...defaults, ...options };
  const final: PublishFailure[] = [];
  let pending: readonly E[] = entries;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const failures: EntryFailure<E>[] = [];
    for (const chunk of chunkBySize(pending, sender.limits)) {
      try {
        failures.push(...(await sender.send(chunk)));
      } catch (error) {
        const { code, message } = describeError(error);
        failures.push(...chunk.map((entry) => ({ entry, code, message, retryable: false })));
      }
    }
    const again = attempt < retry.attempts ? failures.filter((failure) => failure.retryable) : [];
    for (const failure of failures) {
      if (!again.includes(failure)) final.push(toPublishFailure(failure));
    }
    pending = again.map((failure) => failure.entry);
    if (pending.length > 0) await sleep(backoff(attempt, retry));
  }
  return final;
}

function toPublishFailure<E extends BatchEntry>(failure: EntryFailure<E>): PublishFailure {
  return { eventId: failure.entry.eventId, type: failure.entry.type, code: failure.code, message: failure.message };
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: "Error", message: String(error) };
}
