import { dependencyUnavailable } from "./dependencyUnavailable.js";

/**
 * The one error type of the HTTP layer and its one mapping to an RFC 9457 problem details response.
 * Handlers and middlewares throw an {@link HttpProblem} for anything the client caused; every other thrown value
 * is a real fault: a generic 500 that reveals nothing of the server, or a 503 with `retry-after` when an AWS
 * dependency was throttled or failing (the fault is theirs, and passing).
 */

/** Each kind of problem, with its stable `type` URI (RFC 9457 §3.1.1: clients may switch on it), status and title. */
export const PROBLEM_KINDS = {
  "bad-request": { status: 400, title: "Bad Request", type: "https://summit.dev/problems/bad-request" },
  validation: { status: 400, title: "Validation Failed", type: "https://summit.dev/problems/validation" },
  "malformed-json": { status: 400, title: "Malformed JSON", type: "https://summit.dev/problems/malformed-json" },
  unauthorized: { status: 401, title: "Unauthorized", type: "https://summit.dev/problems/unauthorized" },
  forbidden: { status: 403, title: "Forbidden", type: "https://summit.dev/problems/forbidden" },
  "not-found": { status: 404, title: "Not Found", type: "https://summit.dev/problems/not-found" },
  "method-not-allowed": {
    status: 405,
    title: "Method Not Allowed",
    type: "https://summit.dev/problems/method-not-allowed",
  },
  conflict: { status: 409, title: "Conflict", type: "https://summit.dev/problems/conflict" },
  "idempotency-in-progress": {
    status: 409,
    title: "Request In Progress",
    type: "https://summit.dev/problems/idempotency-in-progress",
  },
  "payload-too-large": {
    status: 413,
    title: "Payload Too Large",
    type: "https://summit.dev/problems/payload-too-large",
  },
  "unsupported-media-type": {
    status: 415,
    title: "Unsupported Media Type",
    type: "https://summit.dev/problems/unsupported-media-type",
  },
  unprocessable: { status: 422, title: "Unprocessable Content", type: "https://summit.dev/problems/unprocessable" },
  "idempotency-key-reused": {
    status: 422,
    title: "Idempotency Key Reused",
    type: "https://summit.dev/problems/idempotency-key-reused",
  },
  "too-many-requests": {
    status: 429,
    title: "Too Many Requests",
    type: "https://summit.dev/problems/too-many-requests",
  },
  internal: { status: 500, title: "Internal Server Error", type: "https://summit.dev/problems/internal" },
  unavailable: { status: 503, title: "Service Unavailable", type: "https://summit.dev/problems/unavailable" },
} as const satisfies Record<string, { status: number; title: string; type: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** One violated field: `path` is dotted from the request part (`body.email`, `query.limit`, `path.userId`). */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** The RFC 9457 body every error response carries. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

export interface ProblemOptions {
  readonly errors?: readonly FieldError[];
  /** Extra response headers the problem needs (`allow` on 405, `retry-after` on 409 in progress). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A problem the client caused, answered with its status and a problem details body.
 *
 * @example
 * ```ts
 * throw new HttpProblem("conflict", "email is already registered");
 * ```
 */
export class HttpProblem extends Error {
  readonly kind: ProblemKind;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(kind: ProblemKind, detail: string, options: ProblemOptions = {}) {
    super(detail);
    this.name = "HttpProblem";
    const { status, title } = PROBLEM_KINDS[kind];
    this.kind = kind;
    this.status = status;
    this.title = title;
    this.detail = detail;
    if (options.errors) this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  /** The response body (RFC 9457). */
  toProblemDetails(): ProblemDetails {
    return {
      type: PROBLEM_KINDS[this.kind].type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/**
 * 400: the request is wrong. With `errors` it is a validation problem listing every violated field.
 *
 * @example
 * ```ts
 * throw badRequest("cursor is not valid");
 * throw badRequest("request is not valid", [{ path: "body.email", message: "must be an email" }]);
 * ```
 */
export function badRequest(detail: string, errors?: readonly FieldError[]): HttpProblem {
  return errors ? new HttpProblem("validation", detail, { errors }) : new HttpProblem("bad-request", detail);
}

/**
 * 401 with `www-authenticate: Bearer` (RFC 6750 §3: a 401 names the scheme to use).
 *
 * @example
 * ```ts
 * if (!request.auth) throw unauthorized("a bearer token is required");
 * ```
 */
export function unauthorized(detail = "authentication is required"): HttpProblem {
  return new HttpProblem("unauthorized", detail, { headers: { "www-authenticate": "Bearer" } });
}

/**
 * 403: authenticated, but not allowed.
 *
 * @example
 * ```ts
 * if (product.sellerId !== request.auth.userId) throw forbidden("only the seller may change this product");
 * ```
 */
export function forbidden(detail = "you are not allowed to do this"): HttpProblem {
  return new HttpProblem("forbidden", detail);
}

/**
 * 404: unknown resource or route.
 *
 * @example
 * ```ts
 * throw notFound(`product ${productId} does not exist`);
 * ```
 */
export function notFound(detail = "the resource does not exist"): HttpProblem {
  return new HttpProblem("not-found", detail);
}

/**
 * 405 with the `allow` header listing the methods the path accepts (RFC 9110 §15.5.6 requires it).
 *
 * @example
 * ```ts
 * throw methodNotAllowed(["GET", "PATCH"]);
 * ```
 */
export function methodNotAllowed(allow: readonly string[], detail?: string): HttpProblem {
  const methods = allow.map((method) => method.toUpperCase()).join(", ");
  return new HttpProblem("method-not-allowed", detail ?? `this path accepts ${methods}`, {
    headers: { allow: methods },
  });
}

/**
 * 409: the request conflicts with the current state (duplicate email, stale update).
 *
 * @example
 * ```ts
 * throw conflict("email is already registered");
 * ```
 */
export function conflict(detail: string): HttpProblem {
  return new HttpProblem("conflict", detail);
}

/**
 * 413: the request body is over the limit.
 *
 * @example
 * ```ts
 * throw payloadTooLarge("the body is over 65536 bytes");
 * ```
 */
export function payloadTooLarge(detail = "the request body is too large"): HttpProblem {
  return new HttpProblem("payload-too-large", detail);
}

/**
 * 415: a body that is not of a type the route accepts.
 *
 * @example
 * ```ts
 * throw unsupportedMediaType("content-type must be application/json");
 * ```
 */
export function unsupportedMediaType(detail = "the request body must be application/json"): HttpProblem {
  return new HttpProblem("unsupported-media-type", detail);
}

/**
 * 422: well-formed, but cannot be processed as asked.
 *
 * @example
 * ```ts
 * throw unprocessable("the upload is not an image");
 * ```
 */
export function unprocessable(detail: string): HttpProblem {
  return new HttpProblem("unprocessable", detail);
}

/**
 * 429: a limit upstream was reached; the client may retry after `retryAfterSeconds`.
 *
 * @example
 * ```ts
 * throw tooManyRequests("too many sign-in attempts", 5);
 * ```
 */
export function tooManyRequests(detail: string, retryAfterSeconds = 1): HttpProblem {
  return new HttpProblem("too-many-requests", detail, { headers: { "retry-after": String(retryAfterSeconds) } });
}

/** How any thrown value is answered; `fault` marks a real server fault (to be logged with its trace id). */
export interface ProblemAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ProblemDetails;
  readonly fault: boolean;
}

/** How long a client waits before retrying a request a throttled or failing dependency could not take. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

const UNAVAILABLE: ProblemDetails = {
  type: PROBLEM_KINDS.unavailable.type,
  title: PROBLEM_KINDS.unavailable.title,
  status: 503,
  detail: "A service this request needs is busy or failing; retry after the retry-after header's seconds.",
};

const FAULT: ProblemDetails = {
  type: PROBLEM_KINDS.internal.type,
  title: PROBLEM_KINDS.internal.title,
  status: 500,
  detail: "An unexpected error occurred. It has been logged; quote the x-request-id header when reporting it.",
};

/**
 * The one mapping from a thrown value to its answer. Only an {@link HttpProblem} says anything specific; an AWS
 * dependency throttled or failing after the SDK's retries is a 503 with `retry-after` (the same request may succeed
 * later); any other value gives the same generic 500, so no message or stack of the server reaches a client.
 *
 * @example
 * ```ts
 * const { status, body, fault } = answerFor(error);
 * ```
 */
export function answerFor(error: unknown): ProblemAnswer {
  if (error instanceof HttpProblem) {
    return { status: error.status, headers: error.headers, body: error.toProblemDetails(), fault: error.status >= 500 };
  }
  if (dependencyUnavailable(error)) {
    const headers = { "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS) };
    return { status: 503, headers, body: UNAVAILABLE, fault: true };
  }
  return { status: 500, headers: {}, body: FAULT, fault: true };
}

/** RFC 9457 §3: the media type of a problem details body. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";
