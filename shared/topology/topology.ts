import type { EventContract } from "../events/defineEvent.js";
import { resourceNameFor } from "../events/resources.js";
import type { Transport } from "../routing/index.js";
import type {
  ConsumerDefinition,
  HandlerRef,
  HttpMethod,
  RouteDefinition,
  ServiceDefinition,
  TableDefinition,
} from "./defineService.js";
import { handlerFile, pascal } from "./names.js";

/** An EventBridge event pattern (only the subset the topology writes; the matcher knows the rest). */
export type EventPattern = Record<string, unknown>;

export interface FunctionNode {
  /** Unique, PascalCase: the SST component name and the local sandbox name (`UsersSignup`). */
  readonly name: string;
  readonly service: string;
  readonly handler: HandlerRef;
  readonly kind: "route" | "consumer";
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrency (consumers); routes scale freely. */
  readonly concurrency?: number;
  /** Linked resources: what the function may reach, and nothing else. */
  readonly links: readonly string[];
  /** Extra link names pointing at a linked resource (`FailureQueue` → this consumer's DLQ). */
  readonly aliases: Readonly<Record<string, string>>;
}

export interface RouteNode {
  readonly service: string;
  readonly method: HttpMethod;
  /** Path under the base path (`/{userId}`). */
  readonly path: string;
  /** The whole path on the domain (`/users/{userId}`). */
  readonly fullPath: string;
  readonly auth: boolean;
  readonly function: string;
  readonly summary: string;
  readonly definition: RouteDefinition;
}

export interface TableNode extends TableDefinition {
  readonly name: string;
  readonly service: string;
}

export interface QueueNode {
  readonly name: string;
  readonly service: string;
  readonly role: "event" | "buffer" | "dlq";
  /** Where a message goes after `maxReceiveCount` receives. */
  readonly dlq?: string;
  readonly maxReceiveCount?: number;
  /** Six times the consumer's timeout, as AWS advises for Lambda event sources. */
  readonly visibilityTimeoutSeconds: number;
}

export interface TopicNode {
  readonly name: string;
  readonly event: string;
  readonly service: string;
}

export interface StreamNode {
  readonly name: string;
  readonly event: string;
  readonly service: string;
  readonly partitionKey: string;
  readonly shards: number;
}

/** How a consumed event reaches the consumer's function. */
export type Delivery =
  | { readonly kind: "rule"; readonly name: string; readonly pattern: EventPattern }
  | { readonly kind: "topic"; readonly topic: string; readonly filterPolicy: Record<string, unknown> }
  | { readonly kind: "queue"; readonly queue: string }
  | { readonly kind: "stream"; readonly stream: string; readonly filterPattern: Record<string, unknown> };

/** How the function is invoked, with its failure handling. */
export type Trigger =
  | {
      readonly kind: "sqs";
      readonly queue: string;
      readonly batchSize: number;
      readonly batchWindowSeconds: number;
      readonly concurrency?: number;
    }
  | {
      readonly kind: "kinesis";
      readonly stream: string;
      readonly batchSize: number;
      readonly batchWindowSeconds: number;
      readonly retries: number;
      readonly bisectOnError: true;
      readonly onFailure: string;
      readonly filterPattern: Record<string, unknown>;
    }
  | { readonly kind: "async"; readonly retries: number; readonly onFailure: string };

export interface SubscriptionNode {
  /** Unique: `<Function><Event name>`. */
  readonly name: string;
  readonly service: string;
  readonly function: string;
  readonly event: string;
  readonly transport: Transport;
  readonly delivery: Delivery;
  /** The queue put between a bus or topic and the function, for a buffered consumer. */
  readonly buffer?: string;
  readonly trigger: Trigger;
  /** Where a record that failed for good ends: the consumer's DLQ. */
  readonly failureDestination: string;
}

export interface ServiceNode {
  readonly name: string;
  readonly basePath: string;
  readonly tables: readonly string[];
  readonly functions: readonly string[];
  readonly publishes: readonly string[];
  readonly userPool?: string;
  readonly bucket?: { readonly name: string; readonly notifies: string };
}

/** The whole system's shape as plain data: what the stacks build, the local runtime runs and the checks read. */
export interface Topology {
  readonly services: readonly ServiceNode[];
  readonly functions: readonly FunctionNode[];
  readonly routes: readonly RouteNode[];
  readonly tables: readonly TableNode[];
  readonly bus?: string;
  readonly topics: readonly TopicNode[];
  readonly queues: readonly QueueNode[];
  readonly streams: readonly StreamNode[];
  readonly subscriptions: readonly SubscriptionNode[];
  readonly events: Readonly<Record<string, EventContract>>;
}

const ROUTE_DEFAULTS = { memoryMb: 512, timeoutSeconds: 10 };
const CONSUMER_DEFAULTS = { memoryMb: 512, timeoutSeconds: 30, retries: 2 };
/** AWS: set a source queue's visibility timeout to at least six times the function timeout. */
const VISIBILITY_FACTOR = 6;

/** The EventBridge `source` of a domain's events. */
export const eventSource = (domain: string): string => `summit.${domain}`;

/** The rule pattern that selects one event: derived from the contract, never written by hand. */
export function rulePattern(contract: EventContract): EventPattern {
  return { source: [eventSource(contract.domain)], "detail-type": [contract.type] };
}

/** The SNS filter policy that selects one event, on the `eventType` message attribute the publisher sets. */
export function filterPolicy(contract: EventContract): Record<string, unknown> {
  return { eventType: [contract.type] };
}

/** The Lambda event-source filter for one event on a stream (`data` is the envelope JSON). */
export function streamFilter(contract: EventContract): Record<string, unknown> {
  return { data: { type: [contract.type] } };
}

/** The resource name of the service's Cognito user pool and of its media bucket. */
export const userPoolName = (service: string): string => `${pascal(service)}UserPool`;
export const bucketName = (service: string): string => `${pascal(service)}Bucket`;

function routeFunctionName(service: string, route: RouteDefinition): string {
  const file = handlerFile(route.handler);
  return pascal(service) + pascal(file.slice(file.lastIndexOf("/") + 1));
}

const consumerFunctionName = (service: string, consumer: ConsumerDefinition): string =>
  pascal(service) + pascal(consumer.name);

/**
 * Joins the services with the event catalog into the topology. Every transport, queue, DLQ, rule pattern and
 * filter policy is derived here from the contracts and the service definitions.
 *
 * @example
 * ```ts
 * const topology = buildTopology([users, products, forums, media]);
 * topology.subscriptions.find((s) => s.event === "media.MediaProcessed")?.delivery; // { kind: "topic", … }
 * ```
 */
export function buildTopology(services: readonly ServiceDefinition[]): Topology {
  const events: Record<string, EventContract> = {};
  for (const service of services) {
    for (const contract of service.publishes) events[contract.type] = contract;
    for (const consumer of service.consumers)
      for (const contract of consumer.events) events[contract.type] ??= contract;
  }
  const published = new Set(services.flatMap((s) => s.publishes.map((c) => c.type)));
  const producerOf = (type: string) => services.find((s) => s.publishes.some((c) => c.type === type))?.name ?? "";

  const needsBus = Object.values(events).some((c) => c.transport === "eventbridge");
  const topics: TopicNode[] = [];
  const streams: StreamNode[] = [];
  const queues: QueueNode[] = [];
  for (const contract of Object.values(events)) {
    if (!published.has(contract.type)) continue;
    const name = resourceNameFor(contract);
    const service = producerOf(contract.type);
    if (contract.transport === "sns") topics.push({ name, event: contract.type, service });
    if (contract.transport === "kinesis")
      streams.push({ name, event: contract.type, service, partitionKey: contract.partitionKey ?? "", shards: 1 });
  }

  const functions: FunctionNode[] = [];
  const routes: RouteNode[] = [];
  const tables: TableNode[] = [];
  const subscriptions: SubscriptionNode[] = [];
  const serviceNodes: ServiceNode[] = [];

  for (const service of services) {
    const ownTables = Object.keys(service.tables);
    for (const [name, table] of Object.entries(service.tables)) tables.push({ ...table, name, service: service.name });
    const userPool = service.userPool ? userPoolName(service.name) : undefined;
    const bucket = service.bucket
      ? { name: bucketName(service.name), notifies: service.bucket.notifies.type }
      : undefined;
    const publishTargets = service.publishes.map((c) => resourceNameFor(c));
    const baseLinks = [
      ...ownTables,
      ...(userPool ? [userPool] : []),
      ...(bucket ? [bucket.name] : []),
      ...publishTargets,
    ];
    const functionNames: string[] = [];
    /** The service resources a function links: those it names (least privilege), else all of them. */
    const linksOf = (owner: string, named: readonly string[] | undefined): string[] => {
      if (!named) return unique(baseLinks);
      const foreign = named.filter((link) => !baseLinks.includes(link));
      if (foreign.length > 0)
        throw new Error(
          `${owner} links ${foreign.join(", ")}, which ${service.name} neither owns nor publishes to (it has ${baseLinks.join(", ")})`,
        );
      return unique(named);
    };

    for (const route of service.routes) {
      const name = routeFunctionName(service.name, route);
      if (!functionNames.includes(name)) {
        functionNames.push(name);
        functions.push({
          name,
          service: service.name,
          handler: route.handler,
          kind: "route",
          memoryMb: route.memoryMb ?? ROUTE_DEFAULTS.memoryMb,
          timeoutSeconds: route.timeoutSeconds ?? ROUTE_DEFAULTS.timeoutSeconds,
          links: linksOf(name, route.links),
          aliases: {},
        });
      }
      routes.push({
        service: service.name,
        method: route.method,
        path: route.path,
        fullPath: joinPath(service.basePath, route.path),
        auth: route.auth,
        function: name,
        summary: route.summary,
        definition: route,
      });
    }

    for (const consumer of service.consumers) {
      const name = consumerFunctionName(service.name, consumer);
      functionNames.push(name);
      const timeoutSeconds = consumer.timeoutSeconds ?? CONSUMER_DEFAULTS.timeoutSeconds;
      const retries = consumer.retries ?? CONSUMER_DEFAULTS.retries;
      const dlq = `${name}Dlq`;
      queues.push({ name: dlq, service: service.name, role: "dlq", visibilityTimeoutSeconds: 30 });
      const consumerLinks = new Set<string>([...linksOf(name, consumer.links), dlq]);

      for (const contract of consumer.events) {
        const subscription = subscribe({
          service: service.name,
          fn: name,
          consumer,
          contract,
          dlq,
          timeoutSeconds,
          retries,
        });
        subscriptions.push(subscription.node);
        queues.push(...subscription.queues);
        for (const link of subscription.links) consumerLinks.add(link);
      }
      functions.push({
        name,
        service: service.name,
        handler: consumer.handler,
        kind: "consumer",
        memoryMb: consumer.memoryMb ?? CONSUMER_DEFAULTS.memoryMb,
        timeoutSeconds,
        ...(consumer.concurrency ? { concurrency: consumer.concurrency } : {}),
        links: [...consumerLinks],
        aliases: { FailureQueue: dlq },
      });
    }

    serviceNodes.push({
      name: service.name,
      basePath: service.basePath,
      tables: ownTables,
      functions: functionNames,
      publishes: service.publishes.map((c) => c.type),
      ...(userPool ? { userPool } : {}),
      ...(bucket ? { bucket } : {}),
    });
  }

  return {
    services: serviceNodes,
    functions,
    routes,
    tables,
    ...(needsBus ? { bus: "Bus" } : {}),
    topics,
    queues,
    streams,
    subscriptions,
    events,
  };
}

interface SubscribeInput {
  service: string;
  fn: string;
  consumer: ConsumerDefinition;
  contract: EventContract;
  dlq: string;
  timeoutSeconds: number;
  retries: number;
}

function subscribe(input: SubscribeInput): { node: SubscriptionNode; queues: QueueNode[]; links: string[] } {
  const { service, fn, consumer, contract, dlq, timeoutSeconds, retries } = input;
  const base = { name: `${fn}${pascal(contract.name)}`, service, function: fn, event: contract.type };
  const transport = contract.transport;
  const sqsTrigger = (queue: string): Trigger => ({
    kind: "sqs",
    queue,
    batchSize: consumer.batchSize ?? 10,
    batchWindowSeconds: consumer.batchWindowSeconds ?? 0,
    ...(consumer.concurrency ? { concurrency: consumer.concurrency } : {}),
  });

  if (transport === "kinesis") {
    const stream = resourceNameFor(contract);
    const filterPattern = streamFilter(contract);
    return {
      node: {
        ...base,
        transport,
        delivery: { kind: "stream", stream, filterPattern },
        trigger: {
          kind: "kinesis",
          stream,
          batchSize: consumer.batchSize ?? 100,
          batchWindowSeconds: consumer.batchWindowSeconds ?? 0,
          retries,
          bisectOnError: true,
          onFailure: dlq,
          filterPattern,
        },
        failureDestination: dlq,
      },
      queues: [],
      links: [stream],
    };
  }

  if (transport === "sqs") {
    // The event's own queue is the transport; its redrive policy is the consumer's DLQ.
    const queue = resourceNameFor(contract);
    return {
      node: {
        ...base,
        transport,
        delivery: { kind: "queue", queue },
        trigger: sqsTrigger(queue),
        failureDestination: dlq,
      },
      queues: [
        {
          name: queue,
          service,
          role: "event",
          dlq,
          maxReceiveCount: retries + 1,
          visibilityTimeoutSeconds: timeoutSeconds * VISIBILITY_FACTOR,
        },
      ],
      links: [queue],
    };
  }

  const delivery: Delivery =
    transport === "eventbridge"
      ? { kind: "rule", name: `${base.name}Rule`, pattern: rulePattern(contract) }
      : { kind: "topic", topic: resourceNameFor(contract), filterPolicy: filterPolicy(contract) };

  if (consumer.buffered) {
    const buffer = `${base.name}Buffer`;
    return {
      node: { ...base, transport, delivery, buffer, trigger: sqsTrigger(buffer), failureDestination: dlq },
      queues: [
        {
          name: buffer,
          service,
          role: "buffer",
          dlq,
          maxReceiveCount: retries + 1,
          visibilityTimeoutSeconds: timeoutSeconds * VISIBILITY_FACTOR,
        },
      ],
      links: [buffer],
    };
  }
  return {
    node: {
      ...base,
      transport,
      delivery,
      trigger: { kind: "async", retries, onFailure: dlq },
      failureDestination: dlq,
    },
    queues: [],
    links: [],
  };
}

function joinPath(basePath: string, path: string): string {
  return path === "/" ? basePath : `${basePath}${path}`;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
