export type { LinkDocument, LinkVia } from "./links.js";
export { addLink, MAX_LINKS_PER_DOCUMENT, MAX_LINKS_PER_TRACE } from "./links.js";
export { traceInvocation } from "./middleware.js";
export type { TraceContext } from "./traceHeader.js";
export { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "./traceHeader.js";
export { captureClient, currentTraceHeader, inSubsegment, inTraceOf, linkToProducer, tracer } from "./tracer.js";
