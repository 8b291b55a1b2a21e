export type { Invocation } from "./invocation.js";
export { currentCorrelationId, currentInvocation, runWithInvocation } from "./invocation.js";
