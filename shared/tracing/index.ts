export { traceInvocation } from "./middleware.js";
export type { TraceContext } from "./traceHeader.js";
export { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "./traceHeader.js";
export { captureClient, currentTraceHeader, inSubsegment, tracer } from "./tracer.js";
