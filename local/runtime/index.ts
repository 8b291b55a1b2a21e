/** The local runtime: the topology's functions in sandboxes, their event sources, and the API gateway. */

export type { EventSourceTuning } from "./eventSources/eventSources.js";
export { FunctionPool } from "./FunctionPool.js";
export { cognitoAuthorizer, SIGNIN_SCOPE } from "./gateway/cognitoAuthorizer.js";
export type { Resources } from "./provision.js";
export type { Runtime, RuntimeOptions } from "./startRuntime.js";
export { FALLBACK_USER_POOL, startRuntime } from "./startRuntime.js";
