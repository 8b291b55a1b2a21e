import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { LinkedResource } from "../config.js";
import type { QueueNode, Topology } from "../topology/index.js";

/**
 * What the DLQ tools need, the same locally (`/_dev/queues`, `npm run ops`) and against a stage (`npm run ops` in
 * `sst shell`): the queues by topology name, an SQS client, and a synchronous invoke (the local runtime's, or
 * Lambda's Invoke).
 */
export interface DevQueuesOptions {
  readonly topology: Topology;
  /** Every provisioned resource by topology name (a queue's `url` and `arn`). */
  readonly resources: Readonly<Record<string, LinkedResource>>;
  readonly sqs: Pick<SQSClient, "send">;
  /** A synchronous invoke (RequestResponse), to re-deliver an asynchronous invocation's original event. */
  readonly invoke?: (fn: string, event: unknown) => Promise<{ readonly outcome: { readonly ok: boolean } }>;
}

export interface QueueDepth {
  readonly name: string;
  readonly role: QueueNode["role"];
  /** ApproximateNumberOfMessages. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible. */
  readonly inFlight: number;
  /** The queue's DLQ (its redrive target). */
  readonly dlq?: string;
  /** For a DLQ: the queue it is the redrive target of, else the function whose failures it holds. */
  readonly source?: string;
}

export type RedriveResult =
  | { readonly ok: true; readonly moved: number }
  | { readonly ok: false; readonly kind: "not-found" | "conflict"; readonly detail: string };

/** How long a received DLQ message stays hidden while the redrive decides on it (records kept are shown again). */
const HOLD_SECONDS = 300;
/** A bound on one redrive, so that a DLQ refilled as fast as it is read cannot hold the request forever. */
const MAX_MESSAGES = 10_000;

/** A DLQ's provenance from the topology: the queues that redrive into it and the function whose DLQ it is. */
interface DlqOrigin {
  readonly queues: readonly string[];
  readonly fn?: string;
}

function originOf(topology: Topology, dlq: string): DlqOrigin {
  const queues = topology.queues.filter((q) => q.role !== "dlq" && q.dlq === dlq).map((q) => q.name);
  const fn =
    topology.subscriptions.find((s) => s.failureDestination === dlq)?.function ??
    topology.outboxes.find((o) => o.failureDestination === dlq)?.function ??
    topology.functions.find((f) => f.aliases.FailureQueue === dlq)?.name;
  return { queues, ...(fn ? { fn } : {}) };
}

/**
 * `source` of a DLQ: the event or buffer queue it is the redrive target of when there is exactly one; otherwise
 * (no queue in front: async, Kinesis and DynamoDB stream triggers, the outbox publisher; or several queues of one
 * consumer sharing its DLQ) the function whose failures it holds.
 */
function sourceOf(origin: DlqOrigin): string | undefined {
  return origin.queues.length === 1 ? origin.queues[0] : origin.fn;
}

/** Every queue of the topology with its depth, read with the SQS SDK. */
export async function queueDepths({ topology, resources, sqs }: DevQueuesOptions): Promise<QueueDepth[]> {
  return Promise.all(
    topology.queues.map(async (queue): Promise<QueueDepth> => {
      const url = resources[queue.name]?.url;
      const out = url
        ? await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            }),
          )
        : undefined;
      const source = queue.role === "dlq" ? sourceOf(originOf(topology, queue.name)) : undefined;
      return {
        name: queue.name,
        role: queue.role,
        visible: Number(out?.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(out?.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
        ...(queue.dlq ? { dlq: queue.dlq } : {}),
        ...(source ? { source } : {}),
      };
    }),
  );
}

type Verdict =
  | { readonly to: "queue"; readonly url: string; readonly attributes?: Record<string, MessageAttributeValue> }
  | { readonly to: "invoke"; readonly fn: string; readonly event: unknown }
  | { readonly to: "keep"; readonly why: string };

function parse(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body ?? "");
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The attributes `failureQueue` adds to a poison record: its reason, not the original message's. */
const POISON_ATTRIBUTES = new Set(["errorCode", "errorMessage", "source", "recordId", "bodyEncoding", "eventType"]);

/**
 * Where one DLQ message goes back to.
 * - A message the SQS redrive policy moved (an event or buffer queue's, as it was sent): to its source queue,
 *   `DeadLetterQueueSourceArn` when the emulator gives it, else the one queue that redrives into this DLQ (or, with
 *   several, the one of the envelope's event type), with its body and message attributes (StartMessageMoveTask).
 * - An asynchronous invocation's on-failure record (`requestContext` + `requestPayload`): its original event is
 *   re-delivered to the consumer's function through the invoke; the record is deleted only if that
 *   invocation succeeds, so a still-failing event stays in the DLQ.
 * - A poison record a queue-triggered consumer set aside (`source` = `sqs`): to the consumer's source queue, as
 *   it arrived (without the reason attributes).
 * - Kept: a Kinesis or DynamoDB stream batch-info record names a shard range, it holds no record to send back (read
 *   the range from the stream with GetShardIterator at its sequence numbers); a poison record from a bus, topic or
 *   stream is the transport's record, which no queue takes and no invoke replays as it was delivered (publish the
 *   event again once fixed).
 */
function verdictOf(message: Message, origin: DlqOrigin, options: DevQueuesOptions): Verdict {
  const urlOf = (name: string | undefined) => (name ? options.resources[name]?.url : undefined);
  const sourceArn = message.Attributes?.DeadLetterQueueSourceArn;
  const bySourceArn = sourceArn ? origin.queues.find((q) => options.resources[q]?.arn === sourceArn) : undefined;
  const attributes = message.MessageAttributes ?? {};
  const record = parse(message.Body);
  // fauxqs gives no DeadLetterQueueSourceArn: with several queues in front of one DLQ, the envelope's event type
  // names the queue (each event has its own queue or buffer).
  const byEventType =
    origin.queues.length > 1 && typeof record?.type === "string"
      ? options.topology.subscriptions.find(
          (s) => s.trigger.kind === "sqs" && s.event === record.type && origin.queues.includes(s.trigger.queue),
        )
      : undefined;
  const byType = byEventType?.trigger.kind === "sqs" ? byEventType.trigger.queue : undefined;
  const sourceQueueUrl = urlOf(bySourceArn ?? byType ?? (origin.queues.length === 1 ? origin.queues[0] : undefined));

  if (record && ("KinesisBatchInfo" in record || "DDBStreamBatchInfo" in record))
    return { to: "keep", why: "stream batch-info records name a shard range and hold no record to send back" };
  const context = record?.requestContext as Record<string, unknown> | undefined;
  if (record && context && typeof context.functionArn === "string" && "requestPayload" in record) {
    const fn = origin.fn ?? context.functionArn.split(":function:")[1]?.split(":")[0];
    if (!fn || !options.invoke) return { to: "keep", why: "no invoke to re-deliver an async event" };
    return { to: "invoke", fn, event: record.requestPayload };
  }
  const poisonSource = attributes.errorCode ? attributes.source?.StringValue : undefined;
  if (poisonSource !== undefined) {
    if (poisonSource !== "sqs" || !sourceQueueUrl)
      return { to: "keep", why: `a poison ${poisonSource} record is the transport's record, which no queue takes` };
    const original = Object.fromEntries(Object.entries(attributes).filter(([k]) => !POISON_ATTRIBUTES.has(k)));
    return { to: "queue", url: sourceQueueUrl, attributes: original };
  }
  if (!sourceQueueUrl) return { to: "keep", why: "no source queue redrives into this DLQ" };
  return { to: "queue", url: sourceQueueUrl, attributes };
}

/**
 * Moves every message of DLQ `name` back to where it came from (see {@link verdictOf}): receive, re-deliver,
 * delete from the DLQ; until the DLQ is empty. Records that cannot go back are left in the DLQ, visible again.
 * A DLQ that can only hold such records (the DLQ of a Kinesis or DynamoDB stream consumer, or of the outbox
 * publisher) is a 409 up front, and so is a redrive that moved nothing because every record was of that kind.
 */
export async function redriveQueue(options: DevQueuesOptions, name: string): Promise<RedriveResult> {
  const { topology, resources, sqs } = options;
  const queue = topology.queues.find((q) => q.name === name);
  const url = resources[name]?.url;
  if (!queue || !url) return { ok: false, kind: "not-found", detail: `the topology has no queue ${name}` };
  if (queue.role !== "dlq")
    return { ok: false, kind: "conflict", detail: `${name} is an ${queue.role} queue, not a DLQ: nothing to redrive` };
  const origin = originOf(topology, name);
  const triggers = topology.subscriptions.filter((s) => s.failureDestination === name).map((s) => s.trigger.kind);
  const streamsOnly =
    origin.queues.length === 0 &&
    (topology.outboxes.some((o) => o.failureDestination === name) ||
      (triggers.length > 0 && triggers.every((k) => k === "kinesis" || k === "dynamodb")));
  if (streamsOnly)
    return {
      ok: false,
      kind: "conflict",
      detail:
        `${name} holds the failure records of ${origin.fn ?? "a stream consumer"}: batch-info records that name a ` +
        "shard range (and, for a publisher, poison outbox items with their reason), not messages of a queue. There " +
        "is no queue to move them to and no event to re-invoke with: read the named range from the stream " +
        "(GetShardIterator at startSequenceNumber) or fix and write the item again, then delete the record.",
    };

  let moved = 0;
  let seen = 0;
  const kept: { handle: string; why: string }[] = [];
  while (seen < MAX_MESSAGES) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: HOLD_SECONDS,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["DeadLetterQueueSourceArn"],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    seen += messages.length;
    for (const message of messages) {
      const verdict = verdictOf(message, origin, options);
      let done = false;
      if (verdict.to === "queue") {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: verdict.url,
            MessageBody: message.Body ?? "",
            ...(verdict.attributes && Object.keys(verdict.attributes).length
              ? { MessageAttributes: verdict.attributes }
              : {}),
          }),
        );
        done = true;
      } else if (verdict.to === "invoke" && options.invoke) {
        done = (await options.invoke(verdict.fn, verdict.event)).outcome.ok;
      }
      if (done) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
        moved++;
      } else {
        kept.push({
          handle: message.ReceiptHandle ?? "",
          why: verdict.to === "keep" ? verdict.why : "its re-delivered event failed again",
        });
      }
    }
  }
  // What stays is shown again at once, not after the hold.
  await Promise.all(
    kept.map(({ handle }) =>
      sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 }))
        .catch(() => undefined),
    ),
  );
  const unmovable = kept.filter((k) => k.why !== "its re-delivered event failed again");
  if (moved === 0 && unmovable.length > 0)
    return {
      ok: false,
      kind: "conflict",
      detail: `${name}: ${unmovable.length} record(s) cannot be redriven (${unmovable[0]!.why}); they stay in the DLQ`,
    };
  return { ok: true, moved };
}
