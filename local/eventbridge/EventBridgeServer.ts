import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SendMessageCommandInput } from "@aws-sdk/client-sqs";
import { EventBridgeError } from "./EventBridgeError.js";
import { EventBusStore, parsePattern } from "./EventBusStore.js";
import { matchesPattern } from "./matchPattern.js";
import { putEvents } from "./putEvents.js";
import { type LambdaInvoker, TargetDelivery } from "./TargetDelivery.js";

export type { LambdaInvoker } from "./TargetDelivery.js";

export interface EventBridgeOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 (default) picks a free port. */
  port?: number;
  /** Region used in ARNs and events; default us-east-1. */
  region?: string;
  /** Account used in ARNs and events; default 000000000000. */
  accountId?: string;
  /** Endpoint of the SQS service that SQS targets and dead-letter queues live on. */
  sqsEndpoint?: string;
  /** Endpoint of the SNS service that SNS targets live on. */
  snsEndpoint?: string;
  /** How Lambda targets are invoked. */
  invokeLambda?: LambdaInvoker;
  /** First retry delay of the exponential backoff (default 1000 ms); tests shrink it. */
  retryBaseDelayMs?: number;
  /** Observes every SendMessage made to SQS targets and dead-letter queues. */
  onSendMessage?: (input: SendMessageCommandInput) => void;
}

export interface EventBridgeStandIn {
  readonly endpoint: string;
  readonly port: number;
  setLambdaInvoker(fn: LambdaInvoker): void;
  /** resolves when every in-flight delivery settled */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Each operation reads its own request shape from the JSON body. */
type Operation = (input: never) => unknown;

/** The fields TestEventPattern requires of its event. */
const REQUIRED_EVENT_FIELDS = ["id", "account", "source", "time", "region", "resources", "detail-type"];

function testEventPattern(input: { Event?: string; EventPattern?: string }) {
  const pattern = parsePattern(input.EventPattern ?? "");
  let event: unknown;
  try {
    event = JSON.parse(input.Event ?? "");
  } catch {
    throw new EventBridgeError("InvalidEventPatternException", "Event is not valid. Reason: it is not valid JSON");
  }
  const missing = REQUIRED_EVENT_FIELDS.filter((field) => !Object.hasOwn(Object(event), field));
  if (missing.length > 0) {
    throw new EventBridgeError(
      "InvalidEventPatternException",
      `Event is not valid. Reason: missing ${missing.join(", ")}`,
    );
  }
  return { Result: matchesPattern(pattern, event) };
}

function operationsOf(store: EventBusStore, delivery: TargetDelivery): Record<string, Operation> {
  return {
    CreateEventBus: (input) => store.createEventBus(input),
    DeleteEventBus: (input) => store.deleteEventBus(input),
    DescribeEventBus: (input) => store.describeEventBus(input),
    ListEventBuses: (input) => store.listEventBuses(input),
    PutRule: (input) => store.putRule(input),
    DescribeRule: (input) => store.describeRule(input),
    DeleteRule: (input) => store.deleteRule(input),
    ListRules: (input) => store.listRules(input),
    EnableRule: (input) => store.setRuleState(input, "ENABLED"),
    DisableRule: (input) => store.setRuleState(input, "DISABLED"),
    PutTargets: (input) => store.putTargets(input),
    RemoveTargets: (input) => store.removeTargets(input),
    ListTargetsByRule: (input) => store.listTargetsByRule(input),
    ListRuleNamesByTarget: (input) => store.listRuleNamesByTarget(input),
    PutEvents: (input) => putEvents(store, delivery, input),
    TestEventPattern: testEventPattern,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() });
  response.end(JSON.stringify(body));
}

/**
 * Starts an EventBridge stand-in speaking the JSON 1.1 protocol (`X-Amz-Target: AWSEvents.<Operation>`) on
 * 127.0.0.1, so the real `@aws-sdk/client-eventbridge` can drive it. Matching events go to SQS, SNS and Lambda
 * targets asynchronously, with retries and dead-letter queues.
 *
 * @example
 * ```ts
 * const events = await startEventBridge({ sqsEndpoint: "http://127.0.0.1:4566", retryBaseDelayMs: 10 });
 * const client = new EventBridgeClient({ endpoint: events.endpoint, region: "us-east-1" });
 * await events.stop();
 * ```
 */
export async function startEventBridge(options: EventBridgeOptions = {}): Promise<EventBridgeStandIn> {
  const host = options.host ?? "127.0.0.1";
  const region = options.region ?? "us-east-1";
  const store = new EventBusStore(region, options.accountId ?? "000000000000");
  const delivery = new TargetDelivery({
    region,
    sqsEndpoint: options.sqsEndpoint,
    snsEndpoint: options.snsEndpoint,
    invokeLambda: options.invokeLambda,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 1000,
    onSendMessage: options.onSendMessage,
  });
  const operations = operationsOf(store, delivery);

  const server = createServer(async (request, response) => {
    try {
      const target = String(request.headers["x-amz-target"] ?? "");
      const operation = operations[target.replace(/^AWSEvents\./, "")];
      const body = await readBody(request);
      if (request.method !== "POST" || !target.startsWith("AWSEvents.") || !operation) {
        throw new EventBridgeError("UnknownOperationException", `Operation ${target} is not supported.`);
      }
      let input: unknown;
      try {
        input = body === "" ? {} : JSON.parse(body);
      } catch {
        throw new EventBridgeError("SerializationException", "The request body is not valid JSON.");
      }
      reply(response, 200, (operation as (input: unknown) => unknown)(input ?? {}));
    } catch (error) {
      if (error instanceof EventBridgeError) {
        reply(response, error.status, { __type: error.type, message: error.message });
      } else {
        console.error("[eventbridge] internal error", error);
        reply(response, 500, { __type: "InternalException", message: String(error) });
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://${host}:${port}`,
    port,
    setLambdaInvoker: (fn) => delivery.setLambdaInvoker(fn),
    idle: () => delivery.idle(),
    async stop() {
      // Deliveries still waiting to retry are abandoned, as when an emulator process ends.
      delivery.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
