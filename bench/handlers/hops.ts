import { appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBStreamEvent, KinesisStreamEvent, SNSEvent, SQSEvent } from "aws-lambda";

/**
 * The functions of the local hops bench (`bench/hops.ts`). Each consumer's first act is to take `Date.now()`; it
 * then appends one line per invocation to a file named after the stage: which function ran, when it started, and the
 * ids of the events it was handed, in the order it got them. The bench reads the file back. The route answers a small
 * read and touches nothing, so what is measured around it is the hop, not the work.
 *
 * @example
 * ```ts
 * const file = hopObservations(stage); // what the consumers of stage `stage` wrote
 * ```
 */
export const hopObservations = (stage: string): string => join(tmpdir(), `summit-hops-${stage}.jsonl`);

/** One invocation of a consumer, as its line in {@link hopObservations}. */
export interface HopObservation {
  readonly fn: string;
  /** `Date.now()` when the handler started. */
  readonly startedAt: number;
  /** The envelope ids of the invocation's events, in delivery order. */
  readonly ids: readonly string[];
}

function note(startedAt: number, ids: readonly string[]): void {
  const line: HopObservation = { fn: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "", startedAt, ids };
  appendFileSync(hopObservations(process.env.SUMMIT_STAGE ?? "local"), `${JSON.stringify(line)}\n`);
}

/** The id of an envelope sent as JSON text (an SQS body, an SNS message, a Kinesis record). */
const idOf = (text: string | undefined): string => (JSON.parse(text ?? "{}") as { id?: string }).id ?? "";

export const read = async (event: { pathParameters: Record<string, string> | null }) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ itemId: event.pathParameters?.id ?? null, name: "Bench lamp", priceCents: 4_999 }),
});

export const onBus = async (event: { detail: { id: string } }) => {
  const startedAt = Date.now();
  note(startedAt, [event.detail.id]);
};

export const onTopic = async (event: SNSEvent) => {
  const startedAt = Date.now();
  note(
    startedAt,
    event.Records.map((r) => idOf(r.Sns.Message)),
  );
};

export const onQueue = async (event: SQSEvent) => {
  const startedAt = Date.now();
  note(
    startedAt,
    event.Records.map((r) => idOf(r.body)),
  );
  return { batchItemFailures: [] };
};

export const onStream = async (event: KinesisStreamEvent) => {
  const startedAt = Date.now();
  note(
    startedAt,
    event.Records.map((r) => idOf(Buffer.from(r.kinesis.data, "base64").toString("utf8"))),
  );
};

/** Stands in for the outbox publisher: notes the outbox items its table's stream handed it, and sends nothing. */
export const onOutbox = async (event: DynamoDBStreamEvent) => {
  const startedAt = Date.now();
  note(
    startedAt,
    event.Records.map((r) => r.dynamodb?.NewImage?.eventId?.S ?? ""),
  );
  return { batchItemFailures: [] };
};
