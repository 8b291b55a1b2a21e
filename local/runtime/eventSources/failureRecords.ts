import { randomUUID } from "node:crypto";
import type { InvocationOutcome } from "../Sandbox.js";
import type { FunctionErrorPayload } from "./types.js";

type Failed = Extract<InvocationOutcome, { ok: false }>;

/** Lambda's `responsePayload` for an error, and `functionError` ("Unhandled" for a thrown error or a timeout). */
export function errorPayload(outcome: Failed | undefined): FunctionErrorPayload {
  if (!outcome) return { errorType: "Unknown", errorMessage: "the invocation did not complete" };
  return {
    errorType: outcome.error.errorType,
    errorMessage: outcome.error.errorMessage,
    ...(outcome.error.trace ? { stackTrace: outcome.error.trace } : {}),
  };
}

/**
 * The record an asynchronous invocation's on-failure destination receives (Lambda developer guide,
 * "Capturing records of Lambda asynchronous invocations"): the request and its response context, the original
 * event as `requestPayload` and the error as `responsePayload`.
 */
export function asyncFailureRecord(input: {
  functionArn: string;
  event: unknown;
  invokeCount: number;
  outcome: Failed | undefined;
  condition?: "RetriesExhausted" | "EventAgeExceeded";
}) {
  return {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: `${input.functionArn}:$LATEST`,
      condition: input.condition ?? "RetriesExhausted",
      approximateInvokeCount: input.invokeCount,
    },
    requestPayload: input.event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: errorPayload(input.outcome),
  };
}

/** Where a stream event source mapping's discarded records are: its on-failure record names them, never holds them. */
export type StreamBatchInfoKey = "KinesisBatchInfo" | "DDBStreamBatchInfo";

/**
 * The record a stream event source mapping's on-failure destination receives (Lambda developer guide,
 * "Retaining discarded batch records for a Kinesis event source" and "… for a DynamoDB event source"): not the
 * records, but where they are, under `KinesisBatchInfo` or `DDBStreamBatchInfo`. `RecordAgeExceeded` when the
 * batch outlived the mapping's maximum record age, else `RetryAttemptsExhausted`.
 */
export function streamFailureRecord(input: {
  batchInfo: StreamBatchInfoKey;
  functionArn: string;
  streamArn: string;
  shardId: string;
  records: readonly { sequenceNumber: string; arrivedAt: Date }[];
  invokeCount: number;
  outcome: Failed | undefined;
  condition?: "RetryAttemptsExhausted" | "RecordAgeExceeded";
}) {
  const first = input.records[0];
  const last = input.records.at(-1);
  const batchInfo = {
    shardId: input.shardId,
    startSequenceNumber: first?.sequenceNumber ?? "",
    endSequenceNumber: last?.sequenceNumber ?? "",
    approximateArrivalOfFirstRecord: (first?.arrivedAt ?? new Date()).toISOString(),
    approximateArrivalOfLastRecord: (last?.arrivedAt ?? new Date()).toISOString(),
    batchSize: input.records.length,
    streamArn: input.streamArn,
  };
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition ?? "RetryAttemptsExhausted",
      approximateInvokeCount: input.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: "$LATEST",
      functionError: input.outcome ? "Unhandled" : "",
    },
    version: "1.0",
    timestamp: new Date().toISOString(),
    [input.batchInfo]: batchInfo,
  };
}
