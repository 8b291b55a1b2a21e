import type { EventContract } from "../events/defineEvent.js";
import type { ChunkLimits } from "./limits.js";
import type { PublishOptions } from "./options.js";
import type { OutgoingEvent } from "./outgoing.js";
import { refuseOversized } from "./refuseOversized.js";
import { type BatchEntry, type EntryFailure, sendWithRetry } from "./sendWithRetry.js";
import { throwIfFailed } from "./throwIfFailed.js";

/** Sends a contract's outgoing events on one transport; throws a `PublishError` for what did not get out. */
export type TransportSender = (
  contract: EventContract,
  events: readonly OutgoingEvent[],
  options?: PublishOptions,
) => Promise<void>;

/**
 * What sets one transport apart; {@link defineSender} does the rest. `T` is what one call sends with (the
 * destination and the client), resolved once per call.
 */
export interface TransportDefinition<E extends BatchEntry, T> {
  /** The request quotas: chunks keep within them, and one entry over `maxEntryBytes` is refused. */
  readonly limits: ChunkLimits;
  /** Where the contract's events go and the client that takes them there; throws when the contract cannot go. */
  target(contract: EventContract, options: PublishOptions): T;
  /** The request entry of one event, sized as the transport counts its quotas. */
  entry(event: OutgoingEvent, target: T, contract: EventContract): E;
  /** Refuses entries for a reason of the transport's own (a `PublishError`), before anything is sent. */
  refuse?(entries: readonly E[]): void;
  /** Sends one chunk and returns its failed entries; a thrown error fails the whole chunk. */
  send(chunk: readonly E[], target: T): Promise<readonly EntryFailure<E>[]>;
}

/**
 * A transport's sender, from what sets the transport apart. Every sender runs the same sequence: resolve the
 * target, build the entries, refuse what can never be sent (the transport's own reasons, then oversized
 * entries) before sending anything, send in chunks re-sending only failed entries, and throw a `PublishError`
 * naming the failures and the events that did get out. The definition's module holds its SDK client, so that
 * `publish` loads a transport's client only when it first publishes over it.
 *
 * @example
 * ```ts
 * export const toSqs = defineSender({
 *   limits: limits.sqs,
 *   target: (contract) => ({ queueUrl: destinationFor(contract, "url"), client: sqsClient() }),
 *   entry: (event, _target, contract) => messageEntry(contract, event),
 *   async send(chunk, { queueUrl, client }) {
 *     const output = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map(toEntry) }));
 *     return batchFailures(chunk, output);
 *   },
 * });
 * ```
 */
export function defineSender<E extends BatchEntry, T>(transport: TransportDefinition<E, T>): TransportSender {
  return async function send(contract, events, options = {}) {
    const target = transport.target(contract, options);
    const entries = events.map((event) => transport.entry(event, target, contract));
    transport.refuse?.(entries);
    refuseOversized(entries, transport.limits.maxEntryBytes);
    const failures = await sendWithRetry(
      entries,
      { limits: transport.limits, send: (chunk) => transport.send(chunk, target) },
      options.retry,
    );
    throwIfFailed(entries, failures);
  };
}
