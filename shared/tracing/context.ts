import { AsyncLocalStorage } from "node:async_hooks";
import type { InvocationSegment, Parent } from "./segments.js";
import { parseTraceHeader } from "./traceHeader.js";

/**
 * Which (sub)segment new work hangs under. Work started with {@link runIn} (a publish, a record, a segment in
 * another trace) has a context of its own, so concurrent calls never share one; outside those, the execution
 * environment's current entity, which the invocation middleware moves to its handler subsegment and back. An
 * environment runs one invocation at a time, as Lambda's on-demand environments do.
 */
interface Slot {
  entity: Parent;
}

const storage = new AsyncLocalStorage<Slot>();
const environment: { slot?: Slot; header?: string } = {};

/** Lambda's Node.js runtime keeps each invocation's trace header here when one environment runs several at once. */
type LambdaGlobal = { awslambda?: { InvokeStore?: { getXRayTraceId?(): string | undefined } } };

/**
 * Whether this process traces: inside Lambda (`AWS_EXECUTION_ENV`, which the local runtime sets too), unless
 * `AWS_XRAY_SDK_ENABLED` or `POWERTOOLS_TRACE_ENABLED` is `false`.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    Boolean(env.AWS_EXECUTION_ENV) &&
    env.AWS_XRAY_SDK_ENABLED?.toLowerCase() !== "false" &&
    env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== "false"
  );
}

/** The invocation's trace header: Lambda's invoke store when it has one, else `_X_AMZN_TRACE_ID`. */
export function invocationHeader(): string | undefined {
  return (globalThis as LambdaGlobal).awslambda?.InvokeStore?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;
}

/**
 * The invocation's own segment, from its trace header (`Root`, `Parent` and `Sampled` all present, as Lambda writes
 * them with active tracing). A header without them (Lambda's pass-through mode) names no segment: nothing is traced.
 */
export function invocationSegment(header: string | undefined): InvocationSegment | undefined {
  const context = parseTraceHeader(header);
  if (!context?.parent || context.sampled === undefined) return undefined;
  return { kind: "invocation", traceId: context.root, id: context.parent, sampled: context.sampled };
}

/**
 * The (sub)segment new work hangs under, or `undefined` when nothing is traced (tracing off, or no invocation
 * header). A new invocation's header starts the environment over at its segment.
 */
export function currentEntity(): Parent | undefined {
  if (!tracingEnabled()) return undefined;
  const own = storage.getStore();
  if (own) return own.entity;
  const header = invocationHeader();
  if (header !== environment.header || !environment.slot) {
    const segment = invocationSegment(header);
    environment.header = header;
    environment.slot = segment ? { entity: segment } : undefined;
  }
  return environment.slot?.entity;
}

/** Makes `entity` the current one of the context in use (the environment's, or the {@link runIn} work's). */
export function setCurrentEntity(entity: Parent): void {
  const slot = storage.getStore() ?? environment.slot;
  if (slot) slot.entity = entity;
}

/** Runs `work` with `entity` current, in a context of its own. */
export function runIn<T>(entity: Parent, work: () => T): T {
  return storage.run({ entity }, work);
}
