import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { sqsEvent } from "../../lambdaEvents.js";
import { envelopeTraceHeader } from "./traceParent.js";
import { EVENT_SOURCE_DEFAULTS, type EventSource, type Invoke, sleep, stopSignal } from "./types.js";

export interface SqsPollerOptions {
  readonly name: string;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly fn: string;
  readonly invoke: Invoke;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  /** Pollers invoking at once (the mapping's maximum concurrency); at least 1. */
  readonly concurrency: number;
  /** Long-poll wait per receive; default 2 s (a stop waits for at most one). */
  readonly waitSeconds?: number;
  /**
   * When set, a failed message's visibility is set to this many seconds instead of waiting out the queue's
   * visibility timeout (Lambda leaves it untouched; tests shorten the wait this way).
   */
  readonly failedVisibilitySeconds?: number;
  readonly log?: (line: string) => void;
}

/**
 * Lambda's SQS event source mapping ("Using Lambda with Amazon SQS"): long-polls the queue, gathers up to the
 * batch size within the batching window, invokes the function with the SQS event, deletes what succeeded.
 * With `ReportBatchItemFailures`, only the reported messages stay; a report naming an unknown id, or a function
 * error, fails the whole batch. Failed messages reappear after the visibility timeout, and the queue's redrive
 * policy moves a message past `maxReceiveCount` to its DLQ (the SQS emulator does this on receive).
 */
export class SqsPoller implements EventSource {
  private readonly abort = stopSignal();
  private readonly workers: Promise<void>[] = [];
  healthy = true;

  constructor(private readonly options: SqsPollerOptions) {
    for (let i = 0; i < Math.max(1, options.concurrency); i++) this.workers.push(this.work());
  }

  get name(): string {
    return this.options.name;
  }

  private async work(): Promise<void> {
    const { signal } = this.abort;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const batch = await this.gather(signal);
        if (batch.length > 0) await this.process(batch);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        this.healthy = failures < 5;
        this.options.log?.(`${this.name}: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(Math.min(5_000, 200 * 2 ** failures), signal);
      }
    }
  }

  /** Up to `batchSize` messages: the first receive long-polls, then the batching window is filled. */
  private async gather(signal: AbortSignal): Promise<Message[]> {
    const { batchSize, batchWindowSeconds } = this.options;
    const batch: Message[] = [];
    const deadline = Date.now() + batchWindowSeconds * 1000;
    do {
      const first = batch.length === 0;
      const remaining = Math.max(0, deadline - Date.now());
      const wait = first
        ? (this.options.waitSeconds ?? EVENT_SOURCE_DEFAULTS.sqsWaitSeconds)
        : Math.min(20, Math.ceil(remaining / 1000));
      const out = await this.options.sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
            WaitTimeSeconds: wait,
            AttributeNames: ["All"],
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: signal },
        )
        .catch((error: unknown) => {
          if (signal.aborted) return { Messages: [] };
          throw error;
        });
      batch.push(...(out.Messages ?? []));
      if (batch.length === 0) return batch;
      if ((out.Messages ?? []).length === 0 && Date.now() >= deadline) break;
    } while (batch.length < batchSize && Date.now() < deadline && !signal.aborted);
    return batch;
  }

  private async process(messages: Message[]): Promise<void> {
    const first = messages[0]!;
    const traceHeader = first.Attributes?.AWSTraceHeader ?? envelopeTraceHeader(first.Body);
    const { outcome } = await this.options.invoke(
      this.options.fn,
      sqsEvent(messages, this.options.queueArn),
      traceHeader,
    );
    let failed: Message[] = messages;
    if (outcome.ok) {
      const reported = batchItemFailures(outcome.value);
      const ids = new Set(messages.map((m) => m.MessageId));
      // An empty or unknown identifier fails the whole batch ("Reporting batch item failures").
      if (reported === undefined) failed = [];
      else if (reported.every((id) => ids.has(id))) failed = messages.filter((m) => reported.includes(m.MessageId!));
      else this.options.log?.(`${this.name}: batchItemFailures names unknown ids; the whole batch fails`);
    } else {
      this.options.log?.(`${this.name}: ${this.options.fn} failed: ${outcome.error.errorMessage}`);
    }
    const done = messages.filter((m) => !failed.includes(m));
    await this.delete(done);
    if (failed.length > 0 && this.options.failedVisibilitySeconds !== undefined) {
      await this.options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: failed.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: this.options.failedVisibilitySeconds,
          })),
        }),
      );
    }
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.workers);
  }
}

/** The ids a `{ batchItemFailures: [{ itemIdentifier }] }` response names; undefined when there are none. */
export function batchItemFailures(value: unknown): string[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const list = (value as { batchItemFailures?: unknown }).batchItemFailures;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((item: unknown) => {
    const id = typeof item === "object" && item !== null ? (item as { itemIdentifier?: unknown }).itemIdentifier : "";
    return typeof id === "string" ? id : "";
  });
}
