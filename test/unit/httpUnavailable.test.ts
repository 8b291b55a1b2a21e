import { InternalServerError, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { ThrottlingException } from "@aws-sdk/client-eventbridge";
import { InternalFailureException } from "@aws-sdk/client-kinesis";
import { SQSServiceException } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { answerFor, dependencyUnavailable, HttpProblem, PROBLEM_KINDS } from "../../shared/http/index.js";
import { PublishError } from "../../shared/publish/index.js";

/** An error as the SDK throws it once its retries ran out: the service's exception class, with its metadata. */
const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode, attempts: 3 }, message: "injected" });

const cancelled = (...codes: string[]) =>
  Object.assign(new Error("Transaction cancelled"), {
    name: "TransactionCanceledException",
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const publishFailed = (...codes: string[]) =>
  new PublishError(
    codes.map((code, i) => ({ eventId: `e${i}`, type: "forums.ForumCreated", code, message: "injected" })),
    [],
  );

describe("dependencyUnavailable", () => {
  it.each([
    ["DynamoDB throttled", new ProvisionedThroughputExceededException($metadata(400))],
    ["DynamoDB 500", new InternalServerError($metadata(500))],
    ["EventBridge throttled", new ThrottlingException($metadata(400))],
    ["Kinesis 500", new InternalFailureException($metadata(500))],
    [
      "SQS 503 by status alone",
      new SQSServiceException({ name: "ServiceUnavailable", $fault: "server", ...$metadata(503) }),
    ],
    ["a transaction cancelled by a throttled item", cancelled("None", "ThrottlingError")],
    ["events not published for throttling and 5xx alone", publishFailed("ThrottlingException", "InternalFailure")],
  ])("%s: unavailable", (_label, error) => {
    expect(dependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ["a bug", new TypeError("x is undefined")],
    [
      "a validation error of DynamoDB",
      Object.assign(new Error("bad"), { name: "ValidationException", ...$metadata(400) }),
    ],
    [
      "a transaction cancelled by a failed condition and a size",
      cancelled("ConditionalCheckFailed", "ValidationError"),
    ],
    ["an event too large among throttled ones", publishFailed("ThrottlingException", "EntryTooLarge")],
    ["a PublishError with no failures", publishFailed()],
    ["a thrown string", "ThrottlingException"],
  ])("%s: not unavailable", (_label, error) => {
    expect(dependencyUnavailable(error)).toBe(false);
  });
});

describe("answerFor", () => {
  it("answers a throttled or failing dependency with 503, retry-after and a body naming nothing of it", () => {
    const answer = answerFor(new ProvisionedThroughputExceededException($metadata(400)));
    expect(answer).toMatchObject({ status: 503, headers: { "retry-after": "1" }, fault: true });
    expect(answer.body).toMatchObject({ type: PROBLEM_KINDS.unavailable.type, status: 503 });
    expect(JSON.stringify(answer.body)).not.toMatch(/Throughput|injected|DynamoDB/);
  });

  it("still answers any other fault with the generic 500, and a client's problem with its own status", () => {
    expect(answerFor(new Error("boom"))).toMatchObject({ status: 500, headers: {}, fault: true });
    expect(answerFor(new HttpProblem("conflict", "taken"))).toMatchObject({ status: 409, fault: false });
  });
});
