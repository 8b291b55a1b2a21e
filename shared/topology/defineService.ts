import type * as v from "valibot";
import type { EventContract } from "../events/defineEvent.js";
import type { MetricDeclarations } from "../metrics/defineMetrics.js";
import type { ResourceDefinition } from "./resources/index.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A handler reference: `<file without extension>.<export>`, relative to the project root (SST's form). */
export type HandlerRef = `${string}.${string}`;

/** Bundling options of a function that SST's Node runtime applies (`nodejs` of `sst.aws.Function`). */
export interface NodejsOptions {
  /**
   * Packages left out of the bundle and installed into the function's package instead, for the function's Lambda
   * runtime and architecture: native modules (`["sharp"]`), which esbuild cannot bundle.
   */
  readonly install?: readonly string[];
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Path under the service's base path, API Gateway style: `/`, `/me`, `/{userId}`. */
  readonly path: string;
  /** `true`: a Cognito access token is required (checked before the function runs). */
  readonly auth: boolean;
  readonly handler: HandlerRef;
  readonly summary: string;
  /** The schemas the handler validates with (`routeHandler` reads them), and the OpenAPI document shows. */
  readonly schemas?: {
    readonly body?: v.GenericSchema;
    readonly query?: v.GenericSchema;
    readonly path?: v.GenericSchema;
    readonly response?: v.GenericSchema;
  };
  /** Status of a success (default 200; 201 for creates). */
  readonly successStatus?: number;
  /**
   * An owner-only route on one resource: `path` is the path parameter naming it, `field` the resource's attribute
   * holding its owner's user id. Another user's token is a 403 and changes nothing; the OpenAPI document shows it
   * (`x-owner`), and the BOLA suite tries every such route with another user's token.
   */
  readonly owner?: { readonly path: string; readonly field: string };
  /** The contract's notable errors for this route, documented beside those its schemas and auth imply. */
  readonly errors?: readonly number[];
  /**
   * POSTs safe to repeat with an `idempotency-key` header: the records live in this table of the service (with a
   * TTL attribute `expiresAt`). `routeHandler` applies it; the OpenAPI document shows the header.
   */
  readonly idempotency?: { readonly table: string };
  /**
   * HTTP caching, for public GETs only: a 200 gets a strong `etag` and `cache-control: public, max-age=<maxAgeSeconds>,
   * s-maxage=<sMaxAgeSeconds>` (the CDN honours `s-maxage`, browsers `max-age`), a matching `if-none-match` a 304.
   * Authorized requests are never cached by the CDN (`private`). `routeHandler` applies it; the OpenAPI document shows it.
   */
  readonly cache?: { readonly maxAgeSeconds: number; readonly sMaxAgeSeconds: number };
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  readonly nodejs?: NodejsOptions;
  /**
   * The service's resources this route's function reaches (tables, declared resources, the transports of the events
   * it publishes); the function is linked to these only. Default: all of them.
   */
  readonly links?: readonly string[];
}

/** A global secondary index of a table. */
export interface IndexDefinition {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /**
   * What the index copies of each item (default `ALL`). `KEYS_ONLY`: the table's and the index's keys only, so a
   * write that changes no index key (a counter) writes nothing to the index; readers then `batchGet` the items.
   */
  readonly projection?: "ALL" | "KEYS_ONLY";
}

export interface TableDefinition {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes?: Readonly<Record<string, IndexDefinition>>;
  /** Attribute holding the expiry (epoch seconds) for DynamoDB TTL. */
  readonly ttl?: string;
  /**
   * What the table's DynamoDB stream keeps of each change (every table streams its changes). Default `NEW_IMAGE`,
   * all the outbox publisher reads; `NEW_AND_OLD_IMAGES` for a service that also reacts to what changed.
   */
  readonly stream?: StreamView;
  /**
   * The table whose stream publishes the service's events (the transactional outbox). Needed only when the service
   * owns several tables; a service with one table keeps its outbox there.
   */
  readonly outbox?: boolean;
}

/** A DynamoDB stream's `StreamViewType` (KEYS_ONLY and OLD_IMAGE cannot carry an outbox item). */
export type StreamView = "NEW_IMAGE" | "NEW_AND_OLD_IMAGES";

export interface ConsumerDefinition {
  /** Unique within the service; the function is `<service>-<name>`. */
  readonly name: string;
  readonly events: readonly EventContract[];
  readonly handler: HandlerRef;
  /** Records per invocation (SQS ≤ 10 000, Kinesis ≤ 10 000); default 10 for queues and 100 for streams. */
  readonly batchSize?: number;
  /** Seconds to gather a batch (SQS `MaximumBatchingWindowInSeconds`, Kinesis the same). */
  readonly batchWindowSeconds?: number;
  /** At most this many invocations at once (SQS `ScalingConfig.MaximumConcurrency` ≥ 2; reserved concurrency otherwise). */
  readonly concurrency?: number;
  /** Attempts after the first before the failure destination takes it. */
  readonly retries?: number;
  /** Put an SQS queue between a fan-out transport (bus, topic) and the function, so it takes work at its own pace. */
  readonly buffered?: boolean;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
  readonly nodejs?: NodejsOptions;
  /** The service's resources the consumer reaches beside its event source and DLQ (as a route's `links`). */
  readonly links?: readonly string[];
}

export interface ServiceDefinition {
  readonly name: string;
  /** The base path mapped on the stage's domain: `/users`. */
  readonly basePath: `/${string}`;
  /** Tables the service owns, by resource name (`UsersTable`). Only this service's functions reach them. */
  readonly tables: Readonly<Record<string, TableDefinition>>;
  /**
   * The service's other resources, by link name, each built by its kind (`shared/topology/resources`):
   * `{ UsersUserPool: userPool() }`, `{ MediaBucket: bucket({ notifies: UploadReceived }) }`. Only this service's
   * functions reach them.
   */
  readonly resources?: Readonly<Record<string, ResourceDefinition>>;
  readonly routes: readonly RouteDefinition[];
  readonly publishes: readonly EventContract[];
  readonly consumers: readonly ConsumerDefinition[];
  /**
   * The handler of the service's outbox publisher. Default: the shared one (`shared/outbox/publisher.handler`), which
   * knows every event of the catalog; a service whose events are not in the catalog (test fixtures) names its own.
   */
  readonly outboxPublisher?: HandlerRef;
  /**
   * Its business metrics (`defineMetrics`), declared once: handlers emit only these (`emitMetric`), the stacks chart
   * them on the service's dashboard and the local runtime lists them at `/_dev/metrics`.
   */
  readonly metrics?: MetricDeclarations;
}

/**
 * Declares one route, so that the service lists it and its handler (`routeHandler`) reads the same schemas,
 * status and auth: the route is written once.
 */
export function defineRoute<const R extends RouteDefinition>(route: R): R {
  return route;
}

/**
 * Declares a service: what it serves, owns, publishes and consumes. Plain data, read by the topology.
 *
 * @example
 * ```ts
 * export default defineService({
 *   name: "users", basePath: "/users",
 *   tables: { UsersTable: { partitionKey: "pk", sortKey: "sk" } },
 *   resources: { UsersUserPool: userPool() },
 *   routes: [{ method: "GET", path: "/{userId}", auth: false, handler: "services/users/routes/getUser.handler", summary: "A public profile" }],
 *   publishes: [UserRegistered], consumers: [],
 * });
 * ```
 */
export function defineService<const S extends ServiceDefinition>(definition: S): S {
  return definition;
}
