import type { Envelope } from "../events/envelope.js";
import { parseTraceHeader, tracer } from "../tracing/index.js";
import type { RecordSource } from "./types.js";

/**
 * Runs one record's work in its own subsegment, annotated with the event and linked to the producer's trace.
 * EventBridge, SNS and SQS carry the trace to the invocation themselves; a Kinesis batch carries none, so the
 * producer's trace id (from the envelope) is an annotation, searchable in the console, and its full header
 * metadata: the link X-Ray lets us make. Outside a traced invocation this just runs `work`.
 *
 * @example
 * ```ts
 * await traceRecord(envelope, "kinesis", () => handler(payload, envelope, context));
 * ```
 */
export async function traceRecord<T>(envelope: Envelope, source: RecordSource, work: () => Promise<T>): Promise<T> {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return work();
  // The Lambda facade segment takes no annotations: they go on a subsegment of our own.
  const subsegment = parent.addNewSubsegment(`## ${envelope.type}`);
  tracer.setSegment(subsegment);
  try {
    subsegment.addAnnotation("eventType", envelope.type);
    subsegment.addAnnotation("eventId", envelope.id);
    subsegment.addAnnotation("correlationId", envelope.correlationId);
    subsegment.addAnnotation("source", source);
    const producer = parseTraceHeader(envelope.traceHeader);
    if (producer) subsegment.addAnnotation("producerTraceId", producer.root);
    if (envelope.traceHeader) subsegment.addMetadata("producerTraceHeader", envelope.traceHeader);
    return await work();
  } catch (error) {
    subsegment.addError(error instanceof Error ? error : String(error));
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}
