import { toJsonSchema } from "@valibot/to-json-schema";
import type { EventContract } from "../../shared/events/defineEvent.js";
import { envelopeSchema } from "../../shared/events/envelope.js";
import { eventJsonSchema } from "../../shared/events/jsonSchema.js";
import { eventSource, resourceNameFor } from "../../shared/events/resources.js";
import type { Transport } from "../../shared/routing/index.js";
import { pascal, type SubscriptionNode, type Topology } from "../../shared/topology/index.js";

export type JsonObject = Record<string, unknown>;
type Ref = { readonly $ref: string };

export interface AsyncApiChannel {
  readonly address: string;
  readonly title: string;
  readonly summary: string;
  readonly messages: Readonly<Record<string, Ref>>;
  readonly servers: readonly Ref[];
  readonly parameters: Readonly<Record<string, JsonObject>>;
  readonly bindings?: JsonObject;
  /** The transport the routing guide chose, and why, in words (AsyncAPI has no field for either). */
  readonly "x-transport": Transport;
  readonly "x-transport-reason": string;
  readonly "x-delivery-needs": EventContract["needs"];
  readonly [extension: `x-${string}`]: unknown;
}

export interface AsyncApiProducer {
  readonly service: string;
  /** What sends it: the outbox publisher function, the route handlers themselves, or a resource (a bucket). */
  readonly via: string;
  readonly kind: "outbox" | "handlers" | "resource";
}

export interface AsyncApiConsumer {
  readonly service: string;
  readonly function: string;
  /** How the event reaches the function (a rule, a topic subscription, a queue, a stream). */
  readonly delivery: SubscriptionNode["delivery"]["kind"];
  /** How the function is invoked: asynchronously, or by an SQS or Kinesis event source. */
  readonly trigger: SubscriptionNode["trigger"]["kind"];
  readonly buffer?: string;
  /** Where a record that failed for good ends. */
  readonly deadLetterQueue: string;
}

export interface AsyncApiOperation {
  readonly action: "send" | "receive";
  readonly channel: Ref;
  readonly messages: readonly Ref[];
  readonly title: string;
  readonly summary: string;
  readonly bindings?: JsonObject;
  readonly "x-producer"?: AsyncApiProducer;
  readonly "x-consumer"?: AsyncApiConsumer;
}

export interface AsyncApiMessage {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly contentType: "application/json";
  readonly correlationId: { readonly description: string; readonly location: string };
  /** The envelope, its `data` the event's payload schema (JSON Schema draft-07, AsyncAPI's default format). */
  readonly payload: JsonObject;
  readonly "x-version": number;
  readonly "x-partition-key"?: string;
  readonly "x-message-attributes"?: readonly string[];
}

export interface AsyncApiServer {
  readonly host: string;
  readonly protocol: string;
  readonly title: string;
  readonly description: string;
  readonly variables?: Readonly<Record<string, JsonObject>>;
}

export interface AsyncApiDocument {
  readonly asyncapi: "3.0.0";
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly defaultContentType: "application/json";
  readonly servers: Readonly<Record<string, AsyncApiServer>>;
  readonly channels: Readonly<Record<string, AsyncApiChannel>>;
  readonly operations: Readonly<Record<string, AsyncApiOperation>>;
  readonly components: { readonly messages: Readonly<Record<string, AsyncApiMessage>> };
}

export interface AsyncApiOptions {
  /** The local emulators' endpoint per transport (`AWS_ENDPOINT_URL_SQS`, …): each gets a server beside AWS's. */
  readonly localEndpoints?: Partial<Readonly<Record<Transport, string>>>;
}

/** What AWS calls each transport's service, and the host its API answers on. */
const TRANSPORT_SERVERS: Readonly<Record<Transport, { readonly label: string; readonly host: string }>> = {
  eventbridge: { label: "Amazon EventBridge", host: "events.{region}.amazonaws.com" },
  sns: { label: "Amazon SNS", host: "sns.{region}.amazonaws.com" },
  sqs: { label: "Amazon SQS", host: "sqs.{region}.amazonaws.com" },
  kinesis: { label: "Amazon Kinesis Data Streams", host: "kinesis.{region}.amazonaws.com" },
};

/** The binding versions an AsyncAPI 3.0 document may name (`@asyncapi/specs`: bindings/sqs, bindings/sns). */
const SQS_BINDING = "0.2.0";
const SNS_BINDING = "0.1.0";

/**
 * Physical names as the runtime and SST give them: the app (`summit`), the stage, the topology name. In the cloud SST
 * appends a suffix of its own; `npm run dev` uses the name as it is, on stage `local`.
 */
const STAGE_PARAMETER = "stage";
const physical = (name: string): string => `summit-{${STAGE_PARAMETER}}-${name}`;

/** `forums.PostCreated` → `ForumsPostCreated`: channel and message ids allow no dot. */
export const channelIdOf = (contract: Pick<EventContract, "domain" | "name">): string =>
  `${pascal(contract.domain)}${contract.name}`;

const serverIds = (transport: Transport, options: AsyncApiOptions): string[] => [
  `aws-${transport}`,
  ...(options.localEndpoints?.[transport] ? [`local-${transport}`] : []),
];

function serversOf(transports: readonly Transport[], options: AsyncApiOptions): Record<string, AsyncApiServer> {
  const servers: Record<string, AsyncApiServer> = {};
  for (const transport of transports) {
    const { label, host } = TRANSPORT_SERVERS[transport];
    servers[`aws-${transport}`] = {
      host,
      protocol: transport,
      title: label,
      description: `${label} in the stage's region (sst deploy).`,
      variables: { region: { default: "us-east-1", description: "The stage's AWS region" } },
    };
    const local = options.localEndpoints?.[transport];
    if (local) {
      servers[`local-${transport}`] = {
        host: new URL(local).host,
        protocol: transport,
        title: `${label} (local emulator)`,
        description: `npm run dev: the emulator at ${local} (AWS_ENDPOINT_URL_${transport.toUpperCase()}).`,
      };
    }
  }
  return servers;
}

/** The envelope every event travels in, with this event's identity fixed and its payload as `data`. */
function envelopePayload(contract: EventContract): JsonObject {
  const envelope = toJsonSchema(envelopeSchema, { errorMode: "throw" }) as JsonObject & { properties: JsonObject };
  const { $schema: _dialect, "x-summit": _facts, ...data } = eventJsonSchema(contract);
  return {
    ...envelope,
    title: `${contract.type} envelope`,
    description: "The envelope every transport carries as JSON; `data` is the event's payload.",
    properties: {
      ...envelope.properties,
      type: { type: "string", const: contract.type },
      version: { type: "integer", const: contract.version },
      producer: { type: "string", const: contract.domain },
      data,
    },
  };
}

function messageOf(contract: EventContract): AsyncApiMessage {
  return {
    name: contract.type,
    title: contract.type,
    summary: contract.description,
    contentType: "application/json",
    correlationId: {
      description: "The request id that started the work, passed on by every hop",
      location: "$message.payload#/correlationId",
    },
    payload: envelopePayload(contract),
    "x-version": contract.version,
    ...(contract.partitionKey ? { "x-partition-key": contract.partitionKey } : {}),
    ...(contract.attributes.length > 0 ? { "x-message-attributes": contract.attributes } : {}),
  };
}

/** An SQS queue as the SQS binding describes it, with its redrive policy from the topology. */
function sqsQueue(topology: Topology, name: string): JsonObject {
  const queue = topology.queues.find((q) => q.name === name);
  return {
    name: physical(name),
    fifoQueue: false,
    ...(queue ? { visibilityTimeout: queue.visibilityTimeoutSeconds } : {}),
    ...(queue?.dlq
      ? {
          redrivePolicy: {
            deadLetterQueue: { name: physical(queue.dlq) },
            ...(queue.maxReceiveCount ? { maxReceiveCount: queue.maxReceiveCount } : {}),
          },
        }
      : {}),
  };
}

/** The channel's binding where AsyncAPI defines one (SQS, SNS); EventBridge and Kinesis say theirs in `x-` fields. */
function channelBindings(topology: Topology, contract: EventContract): Pick<AsyncApiChannel, "bindings"> {
  const name = resourceNameFor(contract);
  if (contract.transport === "sqs")
    return { bindings: { sqs: { queue: sqsQueue(topology, name), bindingVersion: SQS_BINDING } } };
  if (contract.transport === "sns") return { bindings: { sns: { name: physical(name), bindingVersion: SNS_BINDING } } };
  return {};
}

function transportFacts(topology: Topology, contract: EventContract): Record<`x-${string}`, unknown> {
  if (contract.transport === "eventbridge")
    return { "x-eventbridge": { source: eventSource(contract), detailType: contract.type } };
  if (contract.transport === "kinesis") {
    const stream = topology.streams.find((s) => s.event === contract.type);
    return {
      "x-kinesis": {
        partitionKey: contract.partitionKey,
        ...(stream ? { shards: stream.shards } : {}),
      },
    };
  }
  return {};
}

function channelOf(topology: Topology, contract: EventContract, options: AsyncApiOptions): AsyncApiChannel {
  const id = channelIdOf(contract);
  return {
    address: physical(resourceNameFor(contract)),
    title: contract.type,
    summary: contract.description,
    messages: { [id]: { $ref: `#/components/messages/${id}` } },
    servers: serverIds(contract.transport, options).map((server) => ({ $ref: `#/servers/${server}` })),
    parameters: {
      [STAGE_PARAMETER]: {
        description: "The stage: `local` under npm run dev, else the name given to sst deploy (SST adds a suffix)",
        default: "local",
        examples: ["local", "production"],
      },
    },
    ...channelBindings(topology, contract),
    "x-transport": contract.transport,
    "x-transport-reason": contract.reason,
    "x-delivery-needs": contract.needs,
    ...transportFacts(topology, contract),
  };
}

/**
 * Who sends an event: each service that publishes it (through its outbox publisher when it has one for the event,
 * else from its handlers, as a click-stream is) and each resource that raises it (a bucket's notifications).
 *
 * @example
 * ```ts
 * producersOf(topology, "media.UploadReceived"); // [{ service: "media", via: "MediaBucket", kind: "resource" }]
 * ```
 */
export function producersOf(topology: Topology, type: string): AsyncApiProducer[] {
  const services = topology.services
    .filter((s) => s.publishes.includes(type))
    .map((s): AsyncApiProducer => {
      const outbox = topology.outboxes.find((o) => o.service === s.name && o.events.includes(type));
      return outbox
        ? { service: s.name, via: outbox.function, kind: "outbox" }
        : { service: s.name, via: `${s.name} route handlers`, kind: "handlers" };
    });
  const resources = topology.resources
    .filter((r) => r.raises.includes(type))
    .map((r): AsyncApiProducer => ({ service: r.service, via: r.name, kind: "resource" }));
  return [...services, ...resources];
}

function consumerOf(subscription: SubscriptionNode): AsyncApiConsumer {
  return {
    service: subscription.service,
    function: subscription.function,
    delivery: subscription.delivery.kind,
    trigger: subscription.trigger.kind,
    ...(subscription.buffer ? { buffer: subscription.buffer } : {}),
    deadLetterQueue: subscription.failureDestination,
  };
}

/** A topic's subscribers, as the SNS operation binding lists them on the publishing operation. */
function snsConsumers(subscriptions: readonly SubscriptionNode[]): JsonObject | undefined {
  const consumers = subscriptions.map((s) => ({
    protocol: s.buffer ? "sqs" : "lambda",
    endpoint: { name: s.buffer ? physical(s.buffer) : s.function },
    ...(s.delivery.kind === "topic" ? { filterPolicy: s.delivery.filterPolicy } : {}),
    rawMessageDelivery: false,
    redrivePolicy: { deadLetterQueue: { name: physical(s.failureDestination) } },
  }));
  return consumers.length > 0 ? { sns: { consumers, bindingVersion: SNS_BINDING } } : undefined;
}

function operationsOf(topology: Topology, contract: EventContract): Record<string, AsyncApiOperation> {
  const id = channelIdOf(contract);
  const channel = { $ref: `#/channels/${id}` };
  const messages = [{ $ref: `#/channels/${id}/messages/${id}` }];
  const subscriptions = topology.subscriptions.filter((s) => s.event === contract.type);
  const operations: Record<string, AsyncApiOperation> = {};
  const producers = producersOf(topology, contract.type);
  for (const producer of producers) {
    const bindings = contract.transport === "sns" ? snsConsumers(subscriptions) : undefined;
    operations[producers.length > 1 ? `send${id}By${pascal(producer.service)}` : `send${id}`] = {
      action: "send",
      channel,
      messages,
      title: `${producer.service} sends ${contract.type}`,
      summary: `Sent by ${producer.via}.`,
      ...(bindings ? { bindings } : {}),
      "x-producer": producer,
    };
  }
  for (const subscription of subscriptions) {
    const queue = subscription.trigger.kind === "sqs" ? subscription.trigger.queue : undefined;
    operations[`receive${subscription.name}`] = {
      action: "receive",
      channel,
      messages,
      title: `${subscription.function} receives ${contract.type}`,
      summary: `${subscription.service} consumes it in ${subscription.function}${queue ? `, through queue ${queue}` : ""}; failures end in ${subscription.failureDestination}.`,
      ...(queue ? { bindings: { sqs: { queues: [sqsQueue(topology, queue)], bindingVersion: SQS_BINDING } } } : {}),
      "x-consumer": consumerOf(subscription),
    };
  }
  return operations;
}

/**
 * The AsyncAPI 3.0 document of the event catalog: a channel per event (its address the destination's name pattern,
 * its transport and the routing guide's reason as `x-` fields, SQS and SNS bindings where AsyncAPI defines them), a
 * message per event (the envelope, with the payload's JSON Schema from the contract's valibot schema as `data`), a
 * `send` operation per producer and a `receive` operation per consumer, all from the topology.
 *
 * @example
 * ```ts
 * const doc = asyncApiDocument(buildTopology(services), Object.values(catalog));
 * doc.channels.ForumsPostCreated?.["x-transport"]; // "kinesis"
 * ```
 */
export function asyncApiDocument(
  topology: Topology,
  contracts: readonly EventContract[],
  options: AsyncApiOptions = {},
): AsyncApiDocument {
  const transports = [...new Set(contracts.map((c) => c.transport))].sort();
  const channels: Record<string, AsyncApiChannel> = {};
  const messages: Record<string, AsyncApiMessage> = {};
  let operations: Record<string, AsyncApiOperation> = {};
  for (const contract of contracts) {
    const id = channelIdOf(contract);
    channels[id] = channelOf(topology, contract, options);
    messages[id] = messageOf(contract);
    operations = { ...operations, ...operationsOf(topology, contract) };
  }
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Summit events",
      version: "0.1.0",
      description:
        "Every event of the catalog: where it travels and why (the routing guide), who sends it and who receives it.",
    },
    defaultContentType: "application/json",
    servers: serversOf(transports, options),
    channels,
    operations,
    components: { messages },
  };
}
