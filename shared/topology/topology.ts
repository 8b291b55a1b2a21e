import type { EventContract } from "../events/defineEvent.js";
import { eventSource, resourceNameFor } from "../events/resources.js";
import { type MetricNode, metricNodes } from "../metrics/defineMetrics.js";
import { pipelineMetrics } from "../metrics/pipelineMetrics.js";
import type { Transport } from "../routing/index.js";
import type {
  ConsumerDefinition,
  HandlerRef,
  HttpMethod,
  RouteDefinition,
  ServiceDefinition,
  StreamView,
  TableDefinition,
} from "./defineService.js";
import { routeFunctionNames } from "./functionNames.js";
import { pascal } from "./names.js";
import { leavesThroughOutbox, OUTBOX_KEY_PREFIX, OUTBOX_PUBLISHER_HANDLER } from "./outbox.js";
import { checkRegions } from "./regions.js";
import { type ResourceNode, resourceNode } from "./resources/index.js";
import { shardsFor } from "./streamShards.js";

/** An EventBridge event pattern (only the subset the topology writes; the matcher knows the rest). */
export type EventPattern = Record<string, unknown>;

export interface FunctionNode {
  /** Unique, PascalCase: the SST component name and the local sandbox name (`UsersSignup`). */
  readonly name: string;
  readonly service: string;
  readonly handler: HandlerRef;
  /** `publisher`: the service's outbox publisher, fed by its table's stream. */
  readonly kind: "route" | "consumer" | "publisher";
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrency (consumers); routes scale freely. */
  readonly concurrency?: number;
  /** Packages installed into the function's package rather than bundled (native modules: `sharp`). */
  readonly install?: readonly string[];
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

export interface TableNode extends Omit<TableDefinition, "stream"> {
  readonly name: string;
  readonly service: string;
  /** Every table streams its changes: the outbox is read from the stream, and so can any later projection. */
  readonly stream: StreamView;
}

export interface QueueNode {
  readonly name: string;
  readonly service: string;
  readonly role: "event" | "buffer" | "dlq";
  /** Where a message goes after `maxReceiveCount` receives. */
  readonly dlq?: string;
  readonly maxReceiveCount?: number;
  /**
   * An event or buffer queue: six times its consumer's timeout ({@link VISIBILITY_FACTOR}). A DLQ: 30 s, the SQS
   * default, since no function polls it: its messages are only looked at and redriven, so there is no function
   * timeout to outlast.
   */
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
  /** From the contract's throughput estimate and the stream's consumers (`shardsFor`). */
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
  | {
      readonly kind: "dynamodb";
      /** The table whose stream feeds the function. */
      readonly table: string;
      readonly batchSize: number;
      readonly batchWindowSeconds: number;
      /** MaximumRetryAttempts; `-1` retries until the record is older than `maxRecordAgeSeconds`. */
      readonly retries: number;
      /** MaximumRecordAgeInSeconds: older records go to the on-failure destination (as their batch's location). */
      readonly maxRecordAgeSeconds: number;
      readonly bisectOnError: true;
      readonly onFailure: string;
      /** The event filter (FilterCriteria pattern) on the stream record. */
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

/**
 * A service's transactional outbox: its table's stream feeds the publisher function, which sends every outbox item
 * inserted in that table through `publish` on the event's transport.
 */
export interface OutboxNode {
  readonly service: string;
  readonly table: string;
  readonly function: string;
  /** The events that leave through it: every event the service publishes but its click-streams. */
  readonly events: readonly string[];
  readonly trigger: Extract<Trigger, { kind: "dynamodb" }>;
  /** The publisher's DLQ: poison outbox items (with their reason) and batches the mapping gave up on. */
  readonly failureDestination: string;
}

export interface ServiceNode {
  readonly name: string;
  readonly basePath: string;
  readonly tables: readonly string[];
  readonly functions: readonly string[];
  readonly publishes: readonly string[];
  /** The names of its declared resources (`topology.resources`). */
  readonly resources: readonly string[];
  /**
   * Its business metrics: those it declares, then the shared pipelines' (`EventsToDlq`) when it runs a consumer or
   * an outbox publisher. The dashboards chart them and `/_dev/metrics` lists them.
   */
  readonly metrics: readonly MetricNode[];
}

/** The whole system's shape as plain data: what the stacks build, the local runtime runs and the checks read. */
export interface Topology {
  readonly services: readonly ServiceNode[];
  readonly functions: readonly FunctionNode[];
  readonly routes: readonly RouteNode[];
  readonly tables: readonly TableNode[];
  /** Every service's declared resources beyond tables (user pools, buckets, …), each built by its kind. */
  readonly resources: readonly ResourceNode[];
  readonly bus?: string;
  readonly topics: readonly TopicNode[];
  readonly queues: readonly QueueNode[];
  readonly streams: readonly StreamNode[];
  readonly subscriptions: readonly SubscriptionNode[];
  /** One per service that publishes events. */
  readonly outboxes: readonly OutboxNode[];
  readonly events: Readonly<Record<string, EventContract>>;
  /**
   * The regions the stage runs in, home first (`regions.ts`); absent: one region, the stage's own. With several,
   * every table is a global table, and so streams both images (what DynamoDB global tables require).
   */
  readonly regions?: readonly string[];
}

/** What a topology is built with beside its services. */
export interface TopologyOptions {
  /** The regions the stage runs in, home first (`SUMMIT_REGIONS`); default one region. */
  readonly regions?: readonly string[];
}

const ROUTE_DEFAULTS = { memoryMb: 512, timeoutSeconds: 10 };
const CONSUMER_DEFAULTS = { memoryMb: 512, timeoutSeconds: 30, retries: 2 };
/**
 * The outbox publisher's mapping. A failed send is retried with no attempt limit (`-1`), so a transport outage only
 * delays the shard's events, in order; DynamoDB keeps stream records 24 h, so a batch still failing after 23 h goes to
 * the DLQ as its location, an hour before the stream trims it, and can be read back from there.
 */
const PUBLISHER_DEFAULTS = {
  memoryMb: 256,
  timeoutSeconds: 30,
  batchSize: 100,
  retries: -1,
  maxRecordAgeSeconds: 23 * 3600,
};
/**
 * A queue a function polls (event, buffer) hides a received batch for six times the function's timeout, the least
 * AWS advises: the margin covers Lambda retrying a throttled batch, so a batch still being worked on does not
 * reappear and get processed twice. DLQs are not polled and keep 30 s.
 */
const VISIBILITY_FACTOR = 6;

export { eventSource } from "../events/resources.js";

/** The rule pattern that selects one event: derived from the contract, never written by hand. */
export function rulePattern(contract: EventContract): EventPattern {
  return { source: [eventSource(contract)], "detail-type": [contract.type] };
}

/** The SNS filter policy that selects one event, on the `eventType` message attribute the publisher sets. */
export function filterPolicy(contract: EventContract): Record<string, unknown> {
  return { eventType: [contract.type] };
}

/** The Lambda event-source filter for one event on a stream (`data` is the envelope JSON). */
export function streamFilter(contract: EventContract): Record<string, unknown> {
  return { data: { type: [contract.type] } };
}

/**
 * The stream filter that selects the outbox items a transaction inserted, and nothing else: not the service's own
 * entities, and not the removal of an outbox item when its TTL ends (a `REMOVE` record), so expiry never publishes.
 */
export function outboxFilter(table: Pick<TableDefinition, "partitionKey">): Record<string, unknown> {
  return {
    eventName: ["INSERT"],
    dynamodb: { Keys: { [table.partitionKey]: { S: [{ prefix: OUTBOX_KEY_PREFIX }] } } },
  };
}

/** The table that holds a service's outbox: the one marked `outbox`, else its only table. */
export function outboxTable(service: ServiceDefinition): string | undefined {
  const names = Object.keys(service.tables);
  const marked = names.filter((name) => service.tables[name]?.outbox);
  if (marked.length > 0) return marked.length === 1 ? marked[0] : undefined;
  return names.length === 1 ? names[0] : undefined;
}

const consumerFunctionName = (service: string, consumer: ConsumerDefinition): string =>
  pascal(service) + pascal(consumer.name);

const publisherFunctionName = (service: string): string => `${pascal(service)}OutboxPublisher`;

/**
 * Joins the services with the event catalog into the topology. Every transport, queue, DLQ, rule pattern and
 * filter policy is derived here from the contracts and the service definitions.
 *
 * @example
 * ```ts
 * const topology = buildTopology([users, products, forums, media]);
 * const everywhere = buildTopology([users, products, forums, media], { regions: ["us-east-1", "eu-west-1"] });
 * topology.subscriptions.find((s) => s.event === "media.MediaProcessed")?.delivery; // { kind: "topic", … }
 * ```
 */
export function buildTopology(services: readonly ServiceDefinition[], options: TopologyOptions = {}): Topology {
  const regions = options.regions ? checkRegions(options.regions) : undefined;
  // Global tables replicate through the tables' streams, which must hold both images.
  const streamView = (table: TableDefinition): StreamView =>
    regions && regions.length > 1 ? "NEW_AND_OLD_IMAGES" : (table.stream ?? "NEW_IMAGE");
  const events: Record<string, EventContract> = {};
  for (const service of services) {
    for (const contract of service.publishes) events[contract.type] = contract;
    for (const consumer of service.consumers)
      for (const contract of consumer.events) events[contract.type] ??= contract;
    for (const resource of Object.values(service.resources ?? {}))
      for (const contract of resource.raises) events[contract.type] ??= contract;
  }
  /** What a service sends, and what its resources raise themselves (a bucket's notifications). */
  const sends = (service: ServiceDefinition): EventContract[] => [
    ...service.publishes,
    ...Object.values(service.resources ?? {}).flatMap((r) => r.raises),
  ];
  const published = new Set(services.flatMap((s) => sends(s).map((c) => c.type)));
  const producerOf = (type: string) => services.find((s) => sends(s).some((c) => c.type === type))?.name ?? "";
  const consumersOf = (type: string) =>
    services.flatMap((s) => s.consumers).filter((c) => c.events.some((e) => e.type === type)).length;

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
      streams.push({
        name,
        event: contract.type,
        service,
        partitionKey: contract.partitionKey ?? "",
        shards: shardsFor(contract.throughput, consumersOf(contract.type)),
      });
  }

  const functions: FunctionNode[] = [];
  const routes: RouteNode[] = [];
  const tables: TableNode[] = [];
  const resources: ResourceNode[] = [];
  const subscriptions: SubscriptionNode[] = [];
  const outboxes: OutboxNode[] = [];
  const serviceNodes: ServiceNode[] = [];

  for (const service of services) {
    const ownTables = Object.keys(service.tables);
    for (const [name, table] of Object.entries(service.tables))
      tables.push({ ...table, name, service: service.name, stream: streamView(table) });
    const viaOutbox = service.publishes.filter(leavesThroughOutbox);
    const outbox = viaOutbox.length > 0 ? outboxTable(service) : undefined;
    const ownResources = Object.entries(service.resources ?? {}).map(([name, r]) =>
      resourceNode(service.name, name, r),
    );
    resources.push(...ownResources);
    const publishTargets = service.publishes.map((c) => resourceNameFor(c));
    const outboxTargets = unique(viaOutbox.map((c) => resourceNameFor(c)));
    // With an outbox, only its publisher reaches the transports of the events it carries; a click-stream's transport
    // stays the handlers' own (see `leavesThroughOutbox`).
    const baseLinks = unique([
      ...ownTables,
      ...ownResources.filter((r) => r.linkable).map((r) => r.name),
      ...(outbox ? publishTargets.filter((t) => !outboxTargets.includes(t)) : publishTargets),
    ]);
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

    // One function per handler reference; its name must not be a consumer's or the publisher's either.
    const reserved = [
      ...service.consumers.map((c) => consumerFunctionName(service.name, c)),
      ...(outbox ? [publisherFunctionName(service.name)] : []),
    ];
    const routeNames = routeFunctionNames(
      service.name,
      service.routes.map((r) => r.handler),
      reserved,
    );
    const routeHandlers = new Set<string>();
    for (const route of service.routes) {
      const name = routeNames.get(route.handler)!;
      if (!routeHandlers.has(route.handler)) {
        routeHandlers.add(route.handler);
        functionNames.push(name);
        functions.push({
          name,
          service: service.name,
          handler: route.handler,
          kind: "route",
          memoryMb: route.memoryMb ?? ROUTE_DEFAULTS.memoryMb,
          timeoutSeconds: route.timeoutSeconds ?? ROUTE_DEFAULTS.timeoutSeconds,
          ...(route.nodejs?.install?.length ? { install: [...route.nodejs.install] } : {}),
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
        ...(consumer.nodejs?.install?.length ? { install: [...consumer.nodejs.install] } : {}),
        links: [...consumerLinks],
        aliases: { FailureQueue: dlq },
      });
    }

    if (outbox) {
      const name = publisherFunctionName(service.name);
      const dlq = `${name}Dlq`;
      functionNames.push(name);
      queues.push({ name: dlq, service: service.name, role: "dlq", visibilityTimeoutSeconds: 30 });
      functions.push({
        name,
        service: service.name,
        handler: service.outboxPublisher ?? OUTBOX_PUBLISHER_HANDLER,
        kind: "publisher",
        memoryMb: PUBLISHER_DEFAULTS.memoryMb,
        timeoutSeconds: PUBLISHER_DEFAULTS.timeoutSeconds,
        links: unique([outbox, ...outboxTargets, dlq]),
        aliases: { FailureQueue: dlq },
      });
      outboxes.push({
        service: service.name,
        table: outbox,
        function: name,
        events: viaOutbox.map((c) => c.type),
        trigger: {
          kind: "dynamodb",
          table: outbox,
          batchSize: PUBLISHER_DEFAULTS.batchSize,
          batchWindowSeconds: 0,
          retries: PUBLISHER_DEFAULTS.retries,
          maxRecordAgeSeconds: PUBLISHER_DEFAULTS.maxRecordAgeSeconds,
          bisectOnError: true,
          onFailure: dlq,
          filterPattern: outboxFilter(service.tables[outbox]!),
        },
        failureDestination: dlq,
      });
    }

    serviceNodes.push({
      name: service.name,
      basePath: service.basePath,
      tables: ownTables,
      functions: functionNames,
      publishes: service.publishes.map((c) => c.type),
      resources: ownResources.map((r) => r.name),
      metrics: [
        ...metricNodes(service.name, service.metrics ?? {}),
        ...(functions.some((f) => f.service === service.name && f.kind !== "route")
          ? metricNodes(service.name, pipelineMetrics)
          : []),
      ],
    });
  }

  return {
    services: serviceNodes,
    functions,
    routes,
    tables,
    resources,
    ...(needsBus ? { bus: "Bus" } : {}),
    topics,
    queues,
    streams,
    subscriptions,
    outboxes,
    events,
    ...(regions ? { regions } : {}),
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
