import { unwrapSqsBody } from "../../../shared/consume/unwrapSqsBody.js";
import { parseTraceHeader } from "../../../shared/tracing/traceHeader.js";

/**
 * The trace header an event carries in our envelope (`traceHeader`), whatever wraps it: an EventBridge event,
 * an SNS notification, a raw body, or the envelope object itself. Kinesis has no trace context of its own, and
 * the local EventBridge and SNS do not hand one to a Lambda target, so the envelope's is the link there.
 */
export function envelopeTraceHeader(value: unknown): string | undefined {
  let current: unknown = value;
  for (let depth = 0; depth < 3; depth++) {
    if (typeof current === "string") {
      const unwrapped = unwrapSqsBody(current).envelope;
      if (unwrapped === current) {
        try {
          current = JSON.parse(current);
        } catch {
          return undefined;
        }
      } else current = unwrapped;
      continue;
    }
    if (typeof current !== "object" || current === null) return undefined;
    const record = current as Record<string, unknown>;
    if (typeof record.traceHeader === "string" && parseTraceHeader(record.traceHeader)) return record.traceHeader;
    if ("detail" in record) current = record.detail;
    else if (typeof record.Message === "string") current = record.Message;
    else return undefined;
  }
  return undefined;
}
