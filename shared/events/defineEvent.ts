import type * as v from "valibot";
import type { DeliveryNeeds, Transport, TransportFor } from "../routing/index.js";
import { selectTransport } from "../routing/index.js";

/** Payload fields whose values are scalars: the only ones a partition key or a message attribute can come from. */
type ScalarKeys<P> = { [K in keyof P]-?: NonNullable<P[K]> extends string | number | boolean ? K : never }[keyof P] &
  string;

/**
 * The numbers behind `needs.throughput`: the load the transport must take at its peak. A Kinesis stream's shard count
 * follows from it (`shardsFor` in the topology); without one the stream gets a single shard.
 */
export interface ThroughputEstimate {
  /** Events a second at the busiest moment, not on average. */
  readonly peakPerSecond: number;
  /** Bytes of one record as the transport counts them: the envelope JSON (and, on Kinesis, the partition key). */
  readonly recordBytes: number;
}

/** What a contract's author writes. A Kinesis event must name the payload field that is its partition key. */
export type EventDefinition<
  Domain extends string,
  Name extends string,
  S extends v.GenericSchema,
  N extends DeliveryNeeds,
> = {
  /** The producing service; also the EventBridge `source` suffix and the SNS/SQS `producer` attribute. */
  readonly domain: Domain;
  readonly name: Name;
  /** Bumped on a breaking change of the payload; consumers refuse versions they do not know. */
  readonly version: number;
  readonly description: string;
  readonly schema: S;
  readonly needs: N;
  /** Payload fields copied into message attributes (SNS/SQS) so that filter policies can match them. */
  readonly attributes?: readonly ScalarKeys<v.InferOutput<S>>[];
  /** The expected peak load, with the assumptions behind it in a comment beside it. */
  readonly throughput?: ThroughputEstimate;
} & (TransportFor<N> extends "kinesis"
  ? { readonly partitionKey: ScalarKeys<v.InferOutput<S>> }
  : { readonly partitionKey?: never });

/** An event contract: what the event is, what its delivery needs, and the transport those needs select. */
export interface EventContract<
  Type extends string = string,
  S extends v.GenericSchema = v.GenericSchema,
  T extends Transport = Transport,
> {
  /** `<domain>.<Name>`, the event's one name everywhere (EventBridge `detail-type`, SNS/SQS `eventType`). */
  readonly type: Type;
  readonly domain: string;
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly schema: S;
  readonly needs: DeliveryNeeds;
  readonly transport: T;
  /** Why this transport, in words ("Kinesis: ordered per threadId, replayable"). */
  readonly reason: string;
  readonly partitionKey?: string;
  readonly attributes: readonly string[];
  readonly throughput?: ThroughputEstimate;
}

export type PayloadOf<C extends EventContract> = v.InferOutput<C["schema"]>;
export type PayloadInput<C extends EventContract> = v.InferInput<C["schema"]>;

/**
 * Declares an event contract. The transport and the reason are derived from the delivery needs by the routing
 * guide, at the type level and at run time.
 *
 * @example
 * ```ts
 * export const PostCreated = defineEvent({
 *   domain: "forums", name: "PostCreated", version: 1, description: "A post was accepted in a thread.",
 *   schema: v.object({ postId: v.string(), threadId: v.string() }),
 *   needs: { fanOut: "few", ordering: "perKey", replay: true, throughput: "standard", buffering: false, contentRules: false },
 *   partitionKey: "threadId",
 * });
 * PostCreated.transport; // "kinesis" (type and value)
 * ```
 */
export function defineEvent<
  const Domain extends string,
  const Name extends string,
  S extends v.GenericSchema,
  const N extends DeliveryNeeds,
>(definition: EventDefinition<Domain, Name, S, N>): EventContract<`${Domain}.${Name}`, S, TransportFor<N>> {
  const partitionKey = definition.partitionKey as string | undefined;
  const { transport, reason } = selectTransport(definition.needs, partitionKey ? { partitionKey } : {});
  if (transport === "kinesis" && !partitionKey) {
    throw new Error(`${definition.domain}.${definition.name}: a Kinesis event needs a partitionKey`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`${definition.domain}.${definition.name}: version must be a positive integer`);
  }
  const estimate = definition.throughput;
  if (estimate && !(estimate.peakPerSecond > 0 && estimate.recordBytes > 0)) {
    throw new Error(`${definition.domain}.${definition.name}: a throughput estimate needs a positive rate and size`);
  }
  return {
    type: `${definition.domain}.${definition.name}`,
    domain: definition.domain,
    name: definition.name,
    version: definition.version,
    description: definition.description,
    schema: definition.schema,
    needs: definition.needs,
    transport,
    reason,
    ...(partitionKey ? { partitionKey } : {}),
    attributes: (definition.attributes ?? []) as readonly string[],
    ...(definition.throughput ? { throughput: definition.throughput } : {}),
  };
}
