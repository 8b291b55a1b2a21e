import type { MiddlewareObj, Request } from "@middy/core";
import { currentEntity, setCurrentEntity } from "./context.js";
import { type FailureKind, type Parent, Subsegment } from "./segments.js";

/** Where the invocation's subsegment is kept: middy's per-request `internal`, never shared between invocations. */
const KEY = "summit.tracing";

interface Traced {
  readonly subsegment: Subsegment;
  readonly parent: Parent;
}

/** Whether the next invocation is the environment's first (a provisioned environment's never is, as Powertools counts). */
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== "provisioned-concurrency";

export interface TraceInvocationOptions {
  /**
   * How a thrown value counts: a `fault` (recorded with its cause, the default) or the caller's `error` (flagged
   * only), as X-Ray tells a 5xx from a 4xx.
   */
  readonly classify?: (error: unknown) => FailureKind;
}

/**
 * The middy middleware that traces one invocation: the handler runs in its own subsegment `## <handler>` under
 * the invocation's segment, annotated `ColdStart` and `Service` (as Powertools Tracer's `captureLambdaHandler`
 * writes it), with what it threw recorded. Responses are not copied into the trace (batch responses and bodies can
 * be large). The subsegment is kept in middy's `request.internal`, so concurrent invocations never share it.
 *
 * @example
 * ```ts
 * middy(handler).use(traceInvocation({ classify: (e) => (isClientError(e) ? "error" : "fault") }));
 * ```
 */
export function traceInvocation<TEvent, TResult>(options: TraceInvocationOptions = {}): MiddlewareObj<TEvent, TResult> {
  const classify = options.classify ?? (() => "fault" as const);
  const internal = (request: Request<TEvent, TResult>) => request.internal as Record<string, unknown>;

  const close = (request: Request<TEvent, TResult>, error?: { readonly thrown: unknown }) => {
    const traced = internal(request)[KEY] as Traced | undefined;
    if (!traced) return;
    delete internal(request)[KEY];
    if (error) {
      const kind = classify(error.thrown);
      if (kind === "fault") traced.subsegment.addError(error.thrown);
      else traced.subsegment.addFlag(kind);
    }
    traced.subsegment.close();
    setCurrentEntity(traced.parent);
  };

  return {
    before: (request) => {
      const parent = currentEntity();
      if (!parent) return;
      const subsegment = new Subsegment(`## ${process.env._HANDLER ?? "handler"}`, parent);
      subsegment.addAnnotation("ColdStart", coldStart);
      subsegment.addAnnotation("Service", process.env.POWERTOOLS_SERVICE_NAME || "service_undefined");
      coldStart = false;
      internal(request)[KEY] = { subsegment, parent } satisfies Traced;
      setCurrentEntity(subsegment);
    },
    after: (request) => close(request),
    onError: (request) => close(request, { thrown: request.error }),
  };
}
