import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import * as v from "valibot";
import { authOf } from "./auth.js";
import { exchangeFor, type HttpEvent, type HttpExchange } from "./exchange.js";
import { badRequest, type FieldError } from "./problem.js";
import type { RawParams, RequestSchema } from "./types.js";

export interface RequestValidationOptions {
  readonly body?: RequestSchema;
  readonly query?: RequestSchema;
  readonly path?: RequestSchema;
}

type Location = "body" | "query" | "path";

// Field messages may quote the client's input: bounded, so one huge field cannot make a huge answer.
const MAX_MESSAGE = 200;

function params(source: Readonly<Record<string, string | undefined>> | null | undefined): RawParams {
  const result: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(source ?? {})) if (typeof value === "string") result[name] = value;
  return result;
}

const INPUTS: Record<Location, (exchange: HttpExchange) => unknown> = {
  body: (exchange) => exchange.json?.value,
  query: (exchange) => params(exchange.event.queryStringParameters),
  path: (exchange) => params(exchange.event.pathParameters),
};

/** One valibot issue as a field error, its path dotted from `location` (`body.email`). */
export function fieldError(location: string, issue: v.BaseIssue<unknown>): FieldError {
  const dotted = v.getDotPath(issue);
  const message = issue.message.length > MAX_MESSAGE ? `${issue.message.slice(0, MAX_MESSAGE)}…` : issue.message;
  return { path: dotted ? `${location}.${dotted}` : location, message };
}

// valibot's object schemas take any non-null object, an array too: a JSON array is never the object a route asks for.
const OBJECT_SCHEMAS: ReadonlySet<string> = new Set(["object", "loose_object", "strict_object", "object_with_rest"]);

/**
 * One part of the request checked against its schema: the parsed value, or every violated field (dotted from
 * `location`). An array where the schema wants an object is one violation of the whole part.
 *
 * @example
 * ```ts
 * validatePart("body", v.object({ name: v.string() }), []); // { errors: [{ path: "body", message: "must be a JSON object" }] }
 * ```
 */
export function validatePart(
  location: string,
  schema: RequestSchema,
  input: unknown,
): { readonly output: unknown } | { readonly errors: readonly FieldError[] } {
  if (Array.isArray(input) && OBJECT_SCHEMAS.has(schema.type))
    return { errors: [{ path: location, message: "must be a JSON object, not an array" }] };
  const result = v.safeParse(schema, input);
  return result.success
    ? { output: result.output }
    : { errors: result.issues.map((issue) => fieldError(location, issue)) };
}

/**
 * The schema, once checked at init to be a synchronous valibot schema (`undefined` passes); `what` names it in the error.
 *
 * @example
 * ```ts
 * const schema = checkedSchema("requestValidation: body", options.body);
 * ```
 */
export function checkedSchema(what: string, schema: RequestSchema | undefined): RequestSchema | undefined {
  if (schema !== undefined && (typeof schema !== "object" || schema === null || !("~run" in schema))) {
    throw new TypeError(`${what} must be a valibot schema`);
  }
  if (schema?.async) throw new TypeError(`${what} must be a synchronous schema`);
  return schema;
}

/**
 * Validates body, query string and path parameters against the route's valibot schemas and hands the handler the
 * typed request. Every violated field of every part is listed in one 400 (valibot collects all issues unless
 * told to abort early).
 *
 * @example
 * ```ts
 * middy(route).use(jsonBody()).use(requestValidation({ body: v.object({ name: v.string() }) }));
 * ```
 */
export function requestValidation(
  options: RequestValidationOptions = {},
): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  // Decided once at init: which parts have schemas; parts without one pass through as API Gateway sent them.
  const parts: { location: Location; schema: RequestSchema | undefined }[] = (["body", "query", "path"] as const).map(
    (location) => ({ location, schema: checkedSchema(`requestValidation: ${location}`, options[location]) }),
  );

  const requestValidationBefore = (request: {
    event: HttpEvent;
    context?: { getRemainingTimeInMillis?: () => number };
  }): void => {
    const exchange = exchangeFor(request);
    const errors: FieldError[] = [];
    const values: Record<Location, unknown> = { body: undefined, query: undefined, path: undefined };
    for (const { location, schema } of parts) {
      const input = INPUTS[location](exchange);
      if (!schema) {
        values[location] = location === "body" ? undefined : input;
        continue;
      }
      const checked = validatePart(location, schema, input);
      if ("output" in checked) values[location] = checked.output;
      else errors.push(...checked.errors);
    }
    if (errors.length > 0) throw badRequest(`the request has ${errors.length} invalid field(s)`, errors);
    exchange.request = {
      method: exchange.method,
      body: values.body,
      query: values.query,
      path: values.path,
      headers: exchange.headers,
      auth: authOf(exchange.event),
      requestId: exchange.requestId,
      correlationId: exchange.correlationId,
      timeLeftMs: () => request.context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
    };
  };
  return { before: requestValidationBefore };
}
