/** What an SQS body held, and how it got into the queue. */
export interface Unwrapped {
  /** The envelope: parsed when the body was a wrapper, else the body text itself. */
  readonly envelope: unknown;
  /** `eventbridge` (a rule's SQS target), `sns` (a topic subscription, not raw), or `sqs` (sent directly). */
  readonly via: "eventbridge" | "sns" | "sqs";
}

/**
 * Finds our envelope in an SQS body. A queue buffering a bus gets the whole EventBridge event (`detail` is the
 * envelope); a queue subscribed to a topic without raw delivery gets the SNS notification JSON (`Message` is
 * the envelope, as text); anything else is taken as the envelope itself (direct sends, raw delivery).
 * A body that is not JSON is handed on as text, for the decoder to refuse.
 *
 * @example
 * ```ts
 * unwrapSqsBody('{"Type":"Notification","TopicArn":"…","Message":"{…}"}'); // { envelope: "{…}", via: "sns" }
 * ```
 */
export function unwrapSqsBody(body: string): Unwrapped {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { envelope: body, via: "sqs" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { envelope: body, via: "sqs" };
  const record = value as Record<string, unknown>;
  if (isEventBridgeEvent(record)) return { envelope: record.detail, via: "eventbridge" };
  if (isSnsNotification(record)) return { envelope: record.Message, via: "sns" };
  return { envelope: value, via: "sqs" };
}

// The fields EventBridge always sets on an event it delivers (EventBridge user guide, "Events").
function isEventBridgeEvent(value: Record<string, unknown>): boolean {
  return (
    typeof value["detail-type"] === "string" &&
    typeof value.source === "string" &&
    typeof value.account === "string" &&
    "detail" in value
  );
}

// An SNS notification as an SQS subscriber receives it without raw message delivery.
function isSnsNotification(value: Record<string, unknown>): boolean {
  return value.Type === "Notification" && typeof value.TopicArn === "string" && typeof value.Message === "string";
}
