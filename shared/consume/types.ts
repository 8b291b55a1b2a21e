import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import type * as v from "valibot";
import type { EventContract } from "../events/defineEvent.js";
import type { Envelope } from "../events/envelope.js";
import type { Transport } from "../routing/index.js";

/** What a consumer accepts: one contract, or a list of them. */
export type Contracts = EventContract | readonly EventContract[];

/** The union of the contracts in `Cs`. */
export type ContractIn<Cs extends Contracts> = Cs extends readonly (infer C)[] ? C : Cs;

/** The validated payload of contract `C` (distributes over a union of contracts). */
export type ConsumedPayload<C> = C extends EventContract<string, infer S> ? v.InferOutput<S> : never;

/** The envelope of contract `C`: a union of envelopes discriminated by `type`, whose `data` narrows with it. */
export type ConsumedEnvelope<C> = C extends EventContract<infer T, infer S> ? Envelope<T, v.InferOutput<S>> : never;

/**
 * A consumer's handler: the validated payload, the full envelope, and the Lambda context.
 * With several contracts, `envelope.type` narrows `envelope` (and `envelope.data`, the same object as
 * `payload`) to one event.
 */
export type EventHandler<Cs extends Contracts> = (
  payload: ConsumedPayload<ContractIn<Cs>>,
  envelope: ConsumedEnvelope<ContractIn<Cs>>,
  context: Context,
) => Promise<void> | void;

/**
 * The transport the event was published on: a queue buffering a bus or a topic reports `eventbridge` or `sns`
 * (`onSqs` reads it off the body's wrapping), so logs, traces and the failure queue name the publisher's
 * transport; `sqs` only for an event sent to the queue directly. `dynamodb`: an outbox item the service's
 * publisher read off its table's stream, before it was published.
 */
export type RecordSource = Transport | "dynamodb";

export interface ConsumerOptions {
  /** Where records that can never be valid go; default the linked `FailureQueue`'s url. */
  readonly failureQueueUrl?: string;
  /** Clients to use instead of the sandbox's own (the failure queue is sent to with `sqs`). */
  readonly clients?: { readonly sqs?: SQSClient };
}

export interface SqsConsumerOptions extends ConsumerOptions {
  /**
   * Records of a standard queue's batch processed at once. Default 1: in order, which keeps the batch easy to
   * reason about; raise it for independent, I/O-bound work. A FIFO queue ignores it: its records always run one
   * at a time, and the first failure stops the batch, so that a message group keeps its order.
   */
  readonly concurrency?: number;
}
