import type { Envelope } from "../events/envelope.js";
import { inSubsegment, type LinkVia, parseTraceHeader } from "../tracing/index.js";
import type { RecordSource } from "./types.js";

/** The hop a record came through, as a link names it: an outbox item came off the table's stream. */
const linkVia = (source: RecordSource): LinkVia => (source === "dynamodb" ? "dynamodb-streams" : source);

/**
 * Runs one record's work in its own subsegment, annotated with the event and linked to the producer's trace.
 * EventBridge, SNS and SQS carry the trace to the invocation themselves; a stream batch carries none (Lambda starts
 * a trace of its own), and a queue batch continues its first record's: wherever the record's producer (the
 * envelope's header) is another trace than the invocation's, the subsegment links to the producer's publish call,
 * as X-Ray's trace linking does. The producer's trace id is also an annotation, searchable in the console.
 * Outside a traced invocation this just runs `work`.
 *
 * @example
 * ```ts
 * await traceRecord(envelope, "kinesis", () => handler(payload, envelope, context));
 * ```
 */
export async function traceRecord<T>(envelope: Envelope, source: RecordSource, work: () => Promise<T>): Promise<T> {
  return inSubsegment(`## ${envelope.type}`, (span) => {
    span.annotate("eventType", envelope.type);
    span.annotate("eventId", envelope.id);
    span.annotate("correlationId", envelope.correlationId);
    span.annotate("source", source);
    const producer = parseTraceHeader(envelope.traceHeader);
    if (producer) span.annotate("producerTraceId", producer.root);
    if (envelope.traceHeader) span.note("producerTraceHeader", envelope.traceHeader);
    span.linkToProducer(envelope.traceHeader, linkVia(source));
    return work();
  });
}
