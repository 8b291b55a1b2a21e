export type { TraceContext } from "./traceHeader.js";
export { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "./traceHeader.js";
export { captureClient, currentTraceHeader, tracer } from "./tracer.js";
