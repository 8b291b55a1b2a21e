import { Tracer } from "@aws-lambda-powertools/tracer";
import { formatTraceHeader, parseTraceHeader } from "./traceHeader.js";

/**
 * Trace propagation sits behind these few functions so that moving from the X-Ray SDK (in maintenance from 2026)
 * to OpenTelemetry changes this folder only.
 *
 * Powertools Tracer is enabled only inside Lambda (it checks `AWS_EXECUTION_ENV`); the local runtime sets the same
 * variables per invocation, so the same code traces in both.
 */
export const tracer = new Tracer();

/** Wraps an AWS SDK v3 client so each call becomes a subsegment (a node on the service map). */
export function captureClient<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/**
 * The trace header to send with an outgoing event: the current trace, with the current (sub)segment as parent so
 * the consumer's segment hangs under the publish call. Outside a traced invocation it falls back to the header
 * the invocation received, or nothing.
 */
export function currentTraceHeader(): string | undefined {
  const received = parseTraceHeader(process.env._X_AMZN_TRACE_ID);
  if (!tracer.isTracingEnabled()) return received ? formatTraceHeader(received) : undefined;
  const root = tracer.getRootXrayTraceId() ?? received?.root;
  if (!root) return undefined;
  const segment = tracer.getSegment();
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
