// The leaf, not `shared/data`'s face: the data layer imports the HTTP problems, and problems import this file.
import { THROTTLING_ERROR_CODES } from "../aws/throttling.js";
import { cancellationCodes } from "../data/cancellationCodes.js";

// The codes the SDK itself treats as throttling, and a transaction cancelled by a throttled item. (Conflicts that
// outlast the data layer's retries are a lost race, a 409 where a route expects them: nothing is broken.)
const TRANSIENT_CANCELLATIONS = new Set(["ThrottlingError"]);
// A service's own fault, as a batch API names it per entry (PutRecords, PutEvents, PublishBatch, SendMessageBatch)
// or as a request error's name once `publish` has recorded it.
const SERVER_FAULTS = new Set([
  "InternalError",
  "InternalErrorException",
  "InternalException",
  "InternalFailure",
  "InternalFailureException",
  "InternalServerError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
]);

interface ServiceError {
  readonly name?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
  /** `PublishError`'s: what each event that did not get out failed with. */
  readonly failures?: unknown;
}

const transientCode = (code: unknown): boolean =>
  typeof code === "string" && (THROTTLING_ERROR_CODES.has(code) || SERVER_FAULTS.has(code));

/**
 * Whether `error` is an AWS dependency that could not take the call for now: throttled, or failing on its side (a
 * 5xx), after the SDK's own retries with backoff ran out; or events that `publish` could not get out for one of
 * those reasons alone (a `PublishError`, matched by name like every SDK error here). The client cannot fix its
 * request, but the same request later may well succeed: a 503 with `retry-after`, never a 500 that says "broken".
 *
 * @example
 * ```ts
 * dependencyUnavailable(new ProvisionedThroughputExceededException({ message: "slow down", $metadata: {} })); // true
 * dependencyUnavailable(new Error("a bug")); // false
 * ```
 */
export function dependencyUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as ServiceError;
  if (error.name === "PublishError" && Array.isArray(sdk.failures) && sdk.failures.length > 0)
    return sdk.failures.every((failure: { code?: unknown }) => transientCode(failure?.code));
  if (transientCode(error.name) || sdk.$retryable?.throttling === true) return true;
  const status = sdk.$metadata?.httpStatusCode;
  if (typeof status === "number" && (status === 429 || (status >= 500 && status <= 599))) return true;
  if (sdk.$fault === "server" && sdk.$metadata !== undefined) return true;
  return (cancellationCodes(error) ?? []).some((code) => code !== undefined && TRANSIENT_CANCELLATIONS.has(code));
}
