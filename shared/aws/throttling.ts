/**
 * The error codes the AWS SDK's retry strategy treats as throttling (`THROTTLING_ERROR_CODES` of
 * `@smithy/service-error-classification`, which Summit does not bundle for one list). A leaf: the tracing seam and
 * the HTTP problems both read it.
 */
export const THROTTLING_ERROR_CODES: ReadonlySet<string> = new Set([
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
  "LimitExceededException",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TransactionInProgressException",
]);
