import { InternalServerError, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { ThrottlingException as EventBridgeThrottling, InternalException } from "@aws-sdk/client-eventbridge";
import {
  InternalFailureException,
  ProvisionedThroughputExceededException as KinesisThrottling,
} from "@aws-sdk/client-kinesis";
import { InternalErrorException, ThrottledException } from "@aws-sdk/client-sns";
import { RequestThrottled, SQSServiceException } from "@aws-sdk/client-sqs";

/** The AWS services whose faults a test injects. */
export type FaultyService = "dynamodb" | "kinesis" | "sqs" | "sns" | "eventbridge";
/** `throttle`: the service's own throttling exception; `5xx`: its internal error, answered with a 500. */
export type Fault = "throttle" | "5xx";

const answer = (httpStatusCode: number) => ({ message: "injected fault", $metadata: { httpStatusCode } });

/**
 * Each service's errors, built from its own exception classes as the SDK deserializes them off the wire (name,
 * `$fault`, `$metadata`), so the SDK's retry strategy classifies them as it would a real answer.
 */
const FAULTS: Record<FaultyService, Record<Fault, () => Error>> = {
  dynamodb: {
    throttle: () => new ProvisionedThroughputExceededException(answer(400)),
    "5xx": () => new InternalServerError(answer(500)),
  },
  kinesis: {
    throttle: () => new KinesisThrottling(answer(400)),
    "5xx": () => new InternalFailureException(answer(500)),
  },
  sqs: {
    throttle: () => new RequestThrottled(answer(400)),
    "5xx": () => new SQSServiceException({ name: "InternalError", $fault: "server", ...answer(500) }),
  },
  sns: {
    throttle: () => new ThrottledException(answer(400)),
    "5xx": () => new InternalErrorException(answer(500)),
  },
  eventbridge: {
    throttle: () => new EventBridgeThrottling(answer(400)),
    "5xx": () => new InternalException(answer(500)),
  },
};

let injections = 0;

/** What the injector saw: every attempt of the targeted calls, in milliseconds since the first, and which failed. */
export interface InjectedFaults {
  readonly attempts: { readonly command: string; readonly atMs: number; readonly faulted: boolean }[];
  /** The gaps between consecutive attempts: the SDK's backoff. */
  gaps(): number[];
}

/** Any SDK v3 client (typed loosely: each client's middleware stack has its own input and output types). */
interface Injectable {
  middlewareStack: { add(middleware: unknown, options: { step: "deserialize"; name: string }): void };
}
type Handler = (args: unknown) => Promise<unknown>;

/**
 * Answers the first `times` calls of `commands` (every command when empty) on a real client with `fault` instead of
 * sending them; later calls go over the wire. The middleware sits in the `deserialize` step, inside the SDK's retry
 * middleware (`finalizeRequest`), so each injected answer is one attempt the SDK retries with its backoff, as it
 * retries a throttled or failing service: `times` below the client's `maxAttempts` (3 by default) is survived
 * within one call, more outlasts the retries.
 *
 * @example
 * ```ts
 * const faults = injectFaults(clients.dynamo, "dynamodb", "throttle", 2, ["TransactWriteItemsCommand"]);
 * ```
 */
export function injectFaults(
  client: Injectable,
  service: FaultyService,
  fault: Fault,
  times: number,
  commands: readonly string[] = [],
): InjectedFaults {
  const started = Date.now();
  const attempts: InjectedFaults["attempts"] = [];
  const middleware =
    (next: Handler, context: { commandName?: string }): Handler =>
    async (args) => {
      const command = context.commandName ?? "";
      if (commands.length > 0 && !commands.includes(command)) return next(args);
      const faulted = attempts.filter((a) => a.faulted).length < times;
      attempts.push({ command, atMs: Date.now() - started, faulted });
      if (faulted) throw FAULTS[service][fault]();
      return next(args);
    };
  client.middlewareStack.add(middleware, { step: "deserialize", name: `injectFaults${++injections}` });
  return {
    attempts,
    gaps: () => attempts.slice(1).map((a, i) => a.atMs - attempts[i]!.atMs),
  };
}
