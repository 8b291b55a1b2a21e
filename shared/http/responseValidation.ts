import * as v from "valibot";
import type { FieldError } from "./problem.js";
import { checkedSchema, fieldError } from "./requestValidation.js";
import type { HttpResult } from "./result.js";
import type { RequestSchema } from "./types.js";

/** A handler answered with a body its route's response schema (its OpenAPI document) does not allow: a fault. */
export class ResponseSchemaError extends Error {
  /** Every violated field, logged with the fault (the client only sees the generic 500). */
  readonly issues: readonly FieldError[];

  constructor(issues: readonly FieldError[]) {
    super(`the response body does not match the route's response schema: ${issues.map((i) => i.path).join(", ")}`);
    this.name = "ResponseSchemaError";
    this.issues = issues;
  }
}

/**
 * A check of each 2xx result against the route's response schema, built once at init. It reads the body as the
 * client gets it (the JSON text, parsed back), so what is checked is what the OpenAPI document promises; a 204
 * (no body, no schema) and any non-2xx pass. A mismatch throws a {@link ResponseSchemaError}.
 *
 * @example
 * ```ts
 * const check = responseValidator(productSchema);
 * check(toHttpResult(output, 200)); // throws ResponseSchemaError on a drift
 * ```
 */
export function responseValidator(schema: RequestSchema): (result: HttpResult) => void {
  const checked = checkedSchema("responseValidator: schema", schema);
  if (!checked) throw new TypeError("responseValidator: schema is required");
  const parse = v.safeParser(checked);
  return (result) => {
    if (result.statusCode < 200 || result.statusCode > 299 || result.statusCode === 204) return;
    const outcome = parse(result.body === "" ? undefined : JSON.parse(result.body));
    if (!outcome.success) throw new ResponseSchemaError(outcome.issues.map((issue) => fieldError("body", issue)));
  };
}
