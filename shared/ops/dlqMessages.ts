import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { LinkedResource } from "../config.js";
import type { Topology } from "../topology/index.js";

/** One DLQ message as an operator reads it: what it is, which event, and why it is there. */
export interface DlqMessage {
  readonly messageId: string;
  readonly sentAt?: string;
  readonly receiveCount: number;
  /**
   * `poison`: a consumer set the record aside (its reason attributes); `async`: Lambda's on-failure record of an
   * asynchronous invocation; `stream-batch`: a Kinesis or DynamoDB stream batch that exhausted its retries (a shard
   * range); `redriven`: a message an SQS redrive policy moved after `maxReceiveCount` failed receives.
   */
  readonly kind: "poison" | "async" | "stream-batch" | "redriven";
  readonly eventType?: string;
  readonly eventId?: string;
  readonly reason: string;
}

export interface DlqPeekOptions {
  readonly topology: Topology;
  readonly resources: Readonly<Record<string, LinkedResource>>;
  readonly sqs: Pick<SQSClient, "send">;
}

/** How long a read message stays hidden while the peek goes on (so one message is listed once), then shown again. */
const PEEK_HOLD_SECONDS = 30;

const objectOf = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function parse(body: string | undefined): Record<string, unknown> {
  try {
    return objectOf(JSON.parse(body ?? ""));
  } catch {
    return {};
  }
}

/** Reads the envelope's type and id wherever it sits (raw, in an EventBridge `detail`, in an SNS `Message`). */
function envelopeOf(value: unknown): { type?: string; id?: string } {
  let current = objectOf(typeof value === "string" ? parse(value) : value);
  for (let depth = 0; depth < 3; depth++) {
    if (typeof current.type === "string" && typeof current.id === "string")
      return { type: current.type, id: current.id };
    const inner = current.detail ?? current.Message ?? current.requestPayload;
    if (inner === undefined) break;
    current = objectOf(typeof inner === "string" ? parse(inner) : inner);
  }
  return {};
}

/** What one DLQ message is and why it is there, from the record itself (no guessing from the queue). */
export function describeDlqMessage(message: Message): DlqMessage {
  const attributes = message.MessageAttributes ?? {};
  const body = parse(message.Body);
  const base = {
    messageId: message.MessageId ?? "",
    ...(message.Attributes?.SentTimestamp
      ? { sentAt: new Date(Number(message.Attributes.SentTimestamp)).toISOString() }
      : {}),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
  };
  const ids = (envelope: { type?: string; id?: string }) => ({
    ...(envelope.type ? { eventType: envelope.type } : {}),
    ...(envelope.id ? { eventId: envelope.id } : {}),
  });
  if (attributes.errorCode) {
    const code = attributes.errorCode.StringValue ?? "";
    const detail = attributes.errorMessage?.StringValue ?? "";
    const eventType = attributes.eventType?.StringValue;
    return {
      ...base,
      kind: "poison",
      ...ids(envelopeOf(message.Body)),
      ...(eventType ? { eventType } : {}),
      reason: `${code}: ${detail} (from ${attributes.source?.StringValue ?? "a consumer"})`,
    };
  }
  const context = objectOf(body.requestContext);
  const response = objectOf(body.responsePayload);
  const responseContext = objectOf(body.responseContext);
  const error =
    typeof response.errorMessage === "string"
      ? `${String(response.errorType ?? "Error")}: ${response.errorMessage}`
      : String(responseContext.functionError ?? "");
  const batchInfo = objectOf(body.KinesisBatchInfo ?? body.DDBStreamBatchInfo);
  if (Object.keys(batchInfo).length > 0) {
    const range = `${String(batchInfo.shardId)} ${String(batchInfo.startSequenceNumber)}…${String(batchInfo.endSequenceNumber)}`;
    return {
      ...base,
      kind: "stream-batch",
      reason: `${String(context.condition ?? "RetriesExhausted")} on ${String(batchInfo.batchSize)} record(s), ${range}${error ? `: ${error}` : ""}`,
    };
  }
  if (typeof context.functionArn === "string" && "requestPayload" in body)
    return {
      ...base,
      kind: "async",
      ...ids(envelopeOf(body.requestPayload)),
      reason: `${String(context.condition ?? "RetriesExhausted")} after ${String(context.approximateInvokeCount ?? "?")} attempt(s)${error ? `: ${error}` : ""}`,
    };
  return {
    ...base,
    kind: "redriven",
    ...ids(envelopeOf(message.Body)),
    reason: "its queue's consumer failed it maxReceiveCount times (the redrive policy moved it here)",
  };
}

export type PeekResult =
  | { readonly ok: true; readonly messages: readonly DlqMessage[] }
  | { readonly ok: false; readonly kind: "not-found" | "conflict"; readonly detail: string };

/**
 * Up to `max` messages of DLQ `name`, described, without taking them: each is held while the peek reads on (so none
 * is listed twice) and shown again right after.
 *
 * @example
 * ```ts
 * const peek = await peekDlq({ topology, resources, sqs }, "ForumsPostCreatedDlq");
 * ```
 */
export async function peekDlq(options: DlqPeekOptions, name: string, max = 50): Promise<PeekResult> {
  const queue = options.topology.queues.find((q) => q.name === name);
  const url = options.resources[name]?.url;
  if (!queue || !url) return { ok: false, kind: "not-found", detail: `the topology has no queue ${name}` };
  if (queue.role !== "dlq")
    return { ok: false, kind: "conflict", detail: `${name} is an ${queue.role} queue, not a DLQ` };
  const seen: Message[] = [];
  while (seen.length < max) {
    const out = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, max - seen.length),
        WaitTimeSeconds: 0,
        VisibilityTimeout: PEEK_HOLD_SECONDS,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    seen.push(...messages);
  }
  await Promise.all(
    seen.map((m) =>
      options.sqs
        .send(
          new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
        )
        .catch(() => undefined),
    ),
  );
  return { ok: true, messages: seen.map(describeDlqMessage) };
}
