import { currentEntity, invocationHeader, runIn } from "./context.js";
import { addLink, type LinkVia, MAX_LINKS_PER_TRACE } from "./links.js";
import { type AnnotationValue, type Parent, Segment, Subsegment } from "./segments.js";
import { formatTraceHeader, parseTraceHeader } from "./traceHeader.js";

/**
 * Trace propagation sits behind these few functions (and `captureClient`, `traceInvocation`): handlers and the
 * shared stacks never see a segment, so the exporter underneath (X-Ray segments over UDP today, OpenTelemetry
 * spans tomorrow) changes this folder only.
 */

/** What work inside {@link inSubsegment} may add to its subsegment; outside a traced invocation every call is a no-op. */
export interface Span {
  /** An indexed, searchable value (`annotation.<key>` in a filter expression). */
  annotate(key: string, value: AnnotationValue): void;
  /** A value kept with the subsegment, not indexed. */
  note(key: string, value: unknown): void;
  /**
   * Links the subsegment to the producer's publish call when the producer's trace (its header) is not this one,
   * as X-Ray's trace linking does. Returns whether a link was added.
   */
  linkToProducer(producerHeader: string | undefined, via: LinkVia): boolean;
}

const NO_SPAN: Span = { annotate: () => {}, note: () => {}, linkToProducer: () => false };

const spanOf = (subsegment: Subsegment): Span => ({
  annotate: (key, value) => subsegment.addAnnotation(key, value),
  note: (key, value) => subsegment.addMetadata(key, value),
  linkToProducer: (header, via) => linkToProducer(subsegment, header, via),
});

/**
 * The trace header to send with an outgoing event: the current trace (the invocation's unless {@link inTraceOf}
 * runs), with the current (sub)segment as parent so the consumer's segment hangs under the publish call. Outside a
 * traced invocation it falls back to the header the invocation received, or nothing.
 */
export function currentTraceHeader(): string | undefined {
  const entity = currentEntity();
  if (entity) return formatTraceHeader({ root: entity.traceId, parent: entity.id, sampled: entity.sampled });
  const received = parseTraceHeader(invocationHeader());
  return received ? formatTraceHeader(received) : undefined;
}

/**
 * Runs `work` inside a new subsegment named `name` (in a context of its own, so concurrent calls do not share it);
 * a throw is recorded on it as a fault and thrown on. A publish runs in one: the trace header it sends names that
 * subsegment as parent, and the SDK call it makes is its only AWS child, so the consumer hangs under that one
 * publish (caller → bus → consumer on the service map). Outside a traced invocation it just runs `work`.
 *
 * @example
 * ```ts
 * await inSubsegment(`## ${envelope.type}`, (span) => {
 *   span.annotate("eventId", envelope.id);
 *   return handle(envelope);
 * });
 * ```
 */
export async function inSubsegment<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = currentEntity();
  if (!parent) return work(NO_SPAN);
  const subsegment = new Subsegment(name, parent);
  return runIn(subsegment, async () => {
    try {
      return await work(spanOf(subsegment));
    } catch (error) {
      subsegment.addError(error);
      throw error;
    } finally {
      subsegment.close();
    }
  });
}

/**
 * Runs `work` inside a new segment of the trace `header` names (its `Root`, under its `Parent`), named as this
 * function and recorded as a Lambda function, the way the function's segment would be had the invocation continued
 * that trace; the segment is sent to the daemon when `work` ends. The outbox publisher runs each record's publish in
 * one: its invocation is a trace of its own (a stream starts one), while the event stays in the request's trace, so
 * the SDK call and every consumer that continues the event's header hang under the request. Without a header, a
 * header that is not sampled, or outside a traced invocation, it just runs `work`.
 *
 * @example
 * ```ts
 * await inTraceOf(envelope.traceHeader, () => publishEnvelope(contract, envelope));
 * ```
 */
export async function inTraceOf<T>(header: string | undefined, work: () => Promise<T>): Promise<T> {
  const context = parseTraceHeader(header);
  if (!context || context.sampled === false || !currentEntity()) return work();
  const segment = new Segment(process.env.AWS_LAMBDA_FUNCTION_NAME ?? "unknown", context.root, context.parent);
  return runIn(segment, async () => {
    try {
      return await work();
    } catch (error) {
      segment.addError(error);
      throw error;
    } finally {
      segment.close();
    }
  });
}

/** Links written in the trace the environment is in: X-Ray keeps at most {@link MAX_LINKS_PER_TRACE} in one. */
const written: { traceId?: string; count: number } = { count: 0 };

/**
 * Links `entity` to the producer's publish call when the producer's trace is not the entity's: always for a stream
 * batch (Lambda starts a trace of its own), and for the records of a queue or topic batch that came from another
 * request than the one the invocation continues. Written as AWS's OpenTelemetry exporter writes span links (`links`
 * with `messaging.system`), so the X-Ray console shows them. Returns whether a link was added.
 *
 * @example
 * ```ts
 * linkToProducer(subsegment, envelope.traceHeader, "kinesis");
 * ```
 */
export function linkToProducer(
  entity: Exclude<Parent, { kind: "invocation" }>,
  producerHeader: string | undefined,
  via: LinkVia,
): boolean {
  const producer = parseTraceHeader(producerHeader);
  if (!producer || producer.root === entity.traceId) return false;
  // An invocation runs in one trace at a time: count that trace's links, and stop at X-Ray's limit.
  if (written.traceId !== entity.traceId) Object.assign(written, { traceId: entity.traceId, count: 0 });
  if (written.count >= MAX_LINKS_PER_TRACE) return false;
  const added = addLink(entity, producer, via);
  if (added) written.count++;
  return added;
}
