export { authOf, requireAuth } from "./auth.js";
export type { BodyLimitOptions } from "./bodyLimit.js";
export { bodyLimit } from "./bodyLimit.js";
export type { ConditionalGetOptions } from "./conditionalGet.js";
export { conditionalGet, ifNoneMatchMatches, strongEtag } from "./conditionalGet.js";
export { dependencyUnavailable } from "./dependencyUnavailable.js";
export type { HttpEvent, HttpExchange } from "./exchange.js";
export { exchangeFor, openExchange } from "./exchange.js";
export { canonicalJson, requestFingerprint } from "./fingerprint.js";
export type { AuthMode, HttpHandlerOptions, RouteRequest } from "./httpHandler.js";
export { httpHandler } from "./httpHandler.js";
export type { ClaimOutcome, IdempotencyRecord } from "./IdempotencyStore.js";
export { IdempotencyStore } from "./IdempotencyStore.js";
export type { IdempotencyOptions } from "./idempotency.js";
export { idempotency } from "./idempotency.js";
export type { JsonBodyOptions } from "./jsonBody.js";
export { jsonBody } from "./jsonBody.js";
export type { OwnedByOptions } from "./owner.js";
export { ownedBy } from "./owner.js";
export type { FieldError, ProblemAnswer, ProblemDetails, ProblemKind, ProblemOptions } from "./problem.js";
export {
  answerFor,
  badRequest,
  conflict,
  forbidden,
  HttpProblem,
  methodNotAllowed,
  notFound,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_KINDS,
  payloadTooLarge,
  tooManyRequests,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
  unauthorized,
  unprocessable,
  unsupportedMediaType,
} from "./problem.js";
export { problemResponse } from "./problemResponse.js";
export { requestIdentity } from "./requestIdentity.js";
export { isSaneToken, resolveCorrelationId, resolveRequestId, resolveTraceHeader } from "./requestIds.js";
export { checkedSchema, fieldError, requestValidation, validatePart } from "./requestValidation.js";
export { responseHeaders } from "./responseHeaders.js";
export { ResponseSchemaError, responseValidator } from "./responseValidation.js";
export type { HttpResult } from "./result.js";
export { JSON_CONTENT_TYPE, toHttpResult, toProblemResult } from "./result.js";
export type { RouteHandlerOptions } from "./routeHandler.js";
export { routeHandler } from "./routeHandler.js";
export type {
  HttpAuth,
  HttpRequest,
  HttpResponse,
  RawParams,
  RequestSchema,
  ResponseOutput,
  RouteHandler,
  RouteOutput,
} from "./types.js";
