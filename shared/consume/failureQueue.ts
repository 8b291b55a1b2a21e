import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { sqsClient } from "../aws/sqs.js";
import { resource } from "../config.js";
import type { PoisonCode } from "./decodeEvent.js";
import type { RecordSource } from "./types.js";

/** A record that can never be processed, as it arrived, with the reason. */
export interface PoisonRecord {
  /** The record as it arrived (the SQS body, the SNS message, the EventBridge event, the Kinesis data). */
  readonly body: string;
  /** `base64` when the body is bytes that are not text SQS accepts (Kinesis data can be anything). */
  readonly encoding: "text" | "base64";
  readonly code: PoisonCode;
  readonly message: string;
  readonly eventType?: string;
  readonly source: RecordSource;
  /** The SQS message id, the Kinesis sequence number, the SNS message id or the EventBridge event id. */
  readonly recordId: string;
}

export type FailureDestination = (poison: PoisonRecord) => Promise<void>;

// SQS caps one attribute value with the message; a reason does not need more than this.
const maxReasonLength = 1_024;

/**
 * The consumer's failure destination: an SQS queue (the linked `FailureQueue` unless given), resolved on the
 * first poison record so that a consumer that never meets one never needs the link. The reason travels in
 * message attributes (`errorCode`, `errorMessage`, `eventType`, `source`, `recordId`) and the body is the
 * record as it arrived, so it can be inspected and redriven.
 *
 * @example
 * ```ts
 * const toFailureQueue = failureQueue({ failureQueueUrl: "http://127.0.0.1:4566/000000000000/failures" });
 * await toFailureQueue({ body, encoding: "text", code: "InvalidJson", message, source: "sqs", recordId });
 * ```
 */
export function failureQueue(options: { readonly failureQueueUrl?: string; readonly sqs?: SQSClient } = {}) {
  return async function toFailureQueue(poison: PoisonRecord): Promise<void> {
    const queueUrl = options.failureQueueUrl ?? resource("FailureQueue").url;
    if (!queueUrl) throw new Error('resource "FailureQueue" has no url');
    const client = options.sqs ?? sqsClient();
    const text = (value: string) => ({ DataType: "String", StringValue: value });
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: poison.body === "" ? "(empty)" : poison.body,
        MessageAttributes: {
          errorCode: text(poison.code),
          errorMessage: text(poison.message.slice(0, maxReasonLength) || poison.code),
          source: text(poison.source),
          recordId: text(poison.recordId),
          bodyEncoding: text(poison.encoding),
          ...(poison.eventType ? { eventType: text(poison.eventType) } : {}),
        },
      }),
    );
  } satisfies FailureDestination;
}
