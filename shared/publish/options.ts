import type { AwsClients } from "../aws/index.js";

export interface RetryOptions {
  /** Attempts per entry, the first included. Default 4. */
  readonly attempts?: number;
  /** First backoff delay; doubles each attempt, with full jitter. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Cap of one backoff delay. Default 2,000 ms. */
  readonly maxDelayMs?: number;
}

export interface PublishOptions {
  /** Defaults to the current invocation's correlation id, else a new one (the event starts new work). */
  readonly correlationId?: string;
  /** Bus name, topic ARN, queue URL or stream name; defaults to the contract's linked resource. */
  readonly destination?: string;
  /** Clients to use instead of the sandbox's own. */
  readonly clients?: Partial<Pick<AwsClients, "eventBridge" | "sns" | "sqs" | "kinesis">>;
  readonly retry?: RetryOptions;
}
