import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { InvocationOutcome } from "../Sandbox.js";
import { asyncFailureRecord } from "./failureRecords.js";
import { type Invoke, sleep, stopSignal } from "./types.js";

export interface AsyncInvokerOptions {
  readonly invoke: Invoke;
  readonly sqs: SQSClient;
  /** Lambda waits 1 minute, then 2 minutes, between attempts; tests shrink the base. */
  readonly retryBaseDelayMs?: number;
  readonly log?: (line: string) => void;
}

export interface AsyncInvocation {
  readonly fn: string;
  readonly functionArn: string;
  readonly event: unknown;
  readonly traceHeader?: string;
  /** Retry attempts after the first (Lambda: 0 to 2, default 2). */
  readonly retries: number;
  /** The on-failure destination: an SQS queue URL. */
  readonly onFailureUrl?: string;
}

/**
 * Lambda's asynchronous invocation ("How Lambda handles errors and retries with asynchronous invocation"):
 * the caller gets its answer at once; a function error is retried `retries` times with backoff, and then the
 * invocation record goes to the on-failure destination. Stopping cancels pending retries.
 */
export class AsyncInvoker {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = stopSignal();

  constructor(private readonly options: AsyncInvokerOptions) {}

  /** Queues the invocation (Lambda answers 202) and returns without waiting for it. */
  accept(invocation: AsyncInvocation): void {
    const run = this.run(invocation).then(
      () => undefined,
      (error: unknown) =>
        this.options.log?.(`async ${invocation.fn}: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Runs the invocation with its retries and destination; resolves when it is settled (or cancelled by a stop). */
  async run(invocation: AsyncInvocation): Promise<"succeeded" | "failed" | "cancelled"> {
    const base = this.options.retryBaseDelayMs ?? 60_000;
    let last: Extract<InvocationOutcome, { ok: false }> | undefined;
    let attempts = 0;
    for (; attempts <= invocation.retries; attempts++) {
      if (attempts > 0) await sleep(base * 2 ** (attempts - 1), this.abort.signal);
      if (this.abort.signal.aborted) return "cancelled";
      const { outcome } = await this.options.invoke(invocation.fn, invocation.event, invocation.traceHeader);
      if (outcome.ok) return "succeeded";
      last = outcome;
      this.options.log?.(
        `${invocation.fn} async attempt ${attempts + 1}/${invocation.retries + 1} failed: ${outcome.error.errorMessage}`,
      );
    }
    if (invocation.onFailureUrl) {
      const record = asyncFailureRecord({
        functionArn: invocation.functionArn,
        event: invocation.event,
        invokeCount: attempts,
        outcome: last,
      });
      await this.options.sqs.send(
        new SendMessageCommand({ QueueUrl: invocation.onFailureUrl, MessageBody: JSON.stringify(record) }),
      );
    }
    return "failed";
  }

  async stop(): Promise<void> {
    this.abort.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
