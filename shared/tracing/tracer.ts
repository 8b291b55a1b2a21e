import { Tracer } from "@aws-lambda-powertools/tracer";
import xray from "aws-xray-sdk-core";
import { addLink, type LinkVia, MAX_LINKS_PER_TRACE } from "./links.js";
import { formatTraceHeader, parseTraceHeader } from "./traceHeader.js";

/**
 * Trace propagation sits behind these few functions so that moving from the X-Ray SDK (in maintenance from 2026)
 * to OpenTelemetry changes this folder only.
 *
 * Powertools Tracer is enabled only inside Lambda (it checks `AWS_EXECUTION_ENV`); the local runtime sets the same
 * variables per invocation, so the same code traces in both.
 */
export const tracer = new Tracer();

type Entity = xray.Segment | xray.Subsegment;

/** The trace a (sub)segment belongs to; the Lambda facade's is the invocation's (`_X_AMZN_TRACE_ID`). */
function traceIdOf(entity: Entity | undefined): string | undefined {
  if (!entity) return undefined;
  const segment = "segment" in entity && entity.segment ? entity.segment : (entity as xray.Segment);
  if ((segment as { facade?: boolean }).facade) return tracer.getRootXrayTraceId();
  return parseTraceHeader(`Root=${segment.trace_id}`)?.root;
}

/** Wraps an AWS SDK v3 client so each call becomes a subsegment (a node on the service map). */
export function captureClient<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/**
 * The trace header to send with an outgoing event: the current trace (the current segment's, which is the
 * invocation's unless {@link inTraceOf} runs), with the current (sub)segment as parent so the consumer's segment
 * hangs under the publish call. Outside a traced invocation it falls back to the header the invocation received,
 * or nothing.
 */
export function currentTraceHeader(): string | undefined {
  const received = parseTraceHeader(process.env._X_AMZN_TRACE_ID);
  if (!tracer.isTracingEnabled()) return received ? formatTraceHeader(received) : undefined;
  const segment = tracer.getSegment();
  const root = traceIdOf(segment) ?? tracer.getRootXrayTraceId() ?? received?.root;
  if (!root) return undefined;
  const parent = segment?.id ?? received?.parent;
  return formatTraceHeader({ root, ...(parent ? { parent } : {}), sampled: tracer.isTraceSampled() });
}

/**
 * Runs `work` inside a new subsegment named `name` (in a context of its own, so concurrent calls do not share it).
 * A publish runs in one: the trace header it sends names that subsegment as parent, and the SDK call it makes is its
 * only AWS child, so the consumer hangs under that one publish (caller → bus → consumer on the service map).
 * Outside a traced invocation it just runs `work`.
 */
export async function inSubsegment<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!tracer.isTracingEnabled() || !tracer.getSegment()) return work();
  return tracer.provider.captureAsyncFunc(name, async (subsegment) => {
    try {
      return await work();
    } catch (error) {
      subsegment?.addError(error as Error);
      throw error;
    } finally {
      subsegment?.close();
    }
  }) as Promise<T>;
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
  if (!context || context.sampled === false || !tracer.isTracingEnabled() || !tracer.getSegment()) return work();
  const segment = new xray.Segment(process.env.AWS_LAMBDA_FUNCTION_NAME ?? "unknown", context.root, context.parent);
  segment.origin = "AWS::Lambda::Function";
  return tracer.provider.getNamespace().runAndReturn(async () => {
    tracer.setSegment(segment);
    try {
      return await work();
    } catch (error) {
      segment.addError(error instanceof Error ? error : String(error));
      throw error;
    } finally {
      segment.close();
    }
  });
}

/**
 * Links the current record's (sub)segment to the producer's publish call when the producer's trace is not this
 * invocation's: always for a stream batch (Lambda starts a trace of its own), and for the records of a queue or topic
 * batch that came from another request than the one the invocation continues. Written as AWS's OpenTelemetry
 * exporter writes span links (`links` with `messaging.system`), so the X-Ray console shows them. Returns whether a
 * link was added.
 *
 * @example
 * ```ts
 * linkToProducer(subsegment, envelope.traceHeader, "kinesis");
 * ```
 */
export function linkToProducer(entity: Entity, producerHeader: string | undefined, via: LinkVia): boolean {
  const producer = parseTraceHeader(producerHeader);
  const own = traceIdOf(entity);
  if (!producer || producer.root === own) return false;
  // An invocation runs in one trace at a time: count that trace's links, and stop at X-Ray's limit.
  if (written.traceId !== own) Object.assign(written, { traceId: own, count: 0 });
  if (written.count >= MAX_LINKS_PER_TRACE) return false;
  const added = addLink(entity as Parameters<typeof addLink>[0], producer, via);
  if (added) written.count++;
  return added;
}

const written: { traceId?: string; count: number } = { count: 0 };
