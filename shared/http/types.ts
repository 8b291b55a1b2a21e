import type * as v from "valibot";

/** Query string or path parameters as API Gateway passes them, when the route gives no schema. */
export type RawParams = Readonly<Record<string, string>>;

/**
 * The caller, from the Cognito authorizer's claims (`requestContext.authorizer.claims`). API Gateway has already
 * checked the token; for an access token the user id is the `sub` claim.
 */
export interface HttpAuth {
  readonly userId: string;
  readonly claims: Readonly<Record<string, string>>;
}

/** What a route handler receives: every part already parsed and validated against the route's schemas. */
export interface HttpRequest<TBody = unknown, TQuery = RawParams, TPath = RawParams, TAuth = HttpAuth | undefined> {
  /** Upper-case HTTP method. */
  readonly method: string;
  readonly body: TBody;
  readonly query: TQuery;
  readonly path: TPath;
  /** Request headers with lower-case names (HTTP header names are case-insensitive, RFC 9110 §5.1). */
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: TAuth;
  /** The `x-request-id` this response carries. */
  readonly requestId: string;
  /** Follows the work across services: the client's `x-correlation-id`, else the request id. */
  readonly correlationId: string;
  /** Milliseconds the invocation has left before its timeout (Lambda's `getRemainingTimeInMillis`); Infinity unknown. */
  timeLeftMs(): number;
}

/**
 * A response a handler shapes itself. A handler may instead return any other object (or array), sent as the JSON
 * body with the route's success status. An object is read as an `HttpResponse` only when its keys are among
 * `status`, `body`, `headers` and `status` (if present) is an integer status code.
 */
export interface HttpResponse<TBody = unknown> {
  readonly status?: number;
  readonly body?: TBody;
  readonly headers?: Readonly<Record<string, string>>;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing answers 204
export type RouteOutput = object | undefined | void;

/**
 * What a handler may return for a route whose success body has the schema `TResponse`: that body (as the schema
 * takes it in), or a shaped response carrying it. Without a schema, any {@link RouteOutput}.
 */
export type ResponseOutput<TResponse> = TResponse extends RequestSchema
  ? v.InferInput<TResponse> | (HttpResponse<v.InferInput<TResponse>> & { readonly body: v.InferInput<TResponse> })
  : RouteOutput;

/**
 * The function a route supplies: typed request in, response (or plain JSON object) out; with a response schema
 * `TResponse`, out only what that schema takes ({@link ResponseOutput}).
 */
export type RouteHandler<TRequest, TResponse = undefined> = (
  request: TRequest,
) => Promise<ResponseOutput<TResponse>> | ResponseOutput<TResponse>;

/** A schema built once at module init; only synchronous valibot schemas (no per-request async work). */
export type RequestSchema = v.GenericSchema;

/** The type a part of the request has in the handler: the schema's output, or `TDefault` without a schema. */
export type PartOf<TSchema, TDefault> = TSchema extends RequestSchema ? v.InferOutput<TSchema> : TDefault;
