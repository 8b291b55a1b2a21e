export { captureClient } from "./awsCalls.js";
export type { LinkDocument, LinkVia } from "./links.js";
export { addLink, MAX_LINKS_PER_DOCUMENT, MAX_LINKS_PER_TRACE } from "./links.js";
export { type TraceInvocationOptions, traceInvocation } from "./middleware.js";
export type { AnnotationValue, FailureKind } from "./segments.js";
export type { TraceContext } from "./traceHeader.js";
export { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "./traceHeader.js";
export { currentTraceHeader, inSubsegment, inTraceOf, linkToProducer, type Span } from "./tracer.js";
