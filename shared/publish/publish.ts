import type { EventContract, PayloadInput } from "../events/defineEvent.js";
import type { Envelope } from "../events/envelope.js";
import type { Transport } from "../routing/index.js";
import { currentTraceHeader, inSubsegment, parseTraceHeader } from "../tracing/index.js";
import type { PublishOptions } from "./options.js";
import type { OutgoingEvent } from "./outgoing.js";
import { outgoingEvents } from "./outgoingEvents.js";

type Sender = (contract: EventContract, events: readonly OutgoingEvent[], options: PublishOptions) => Promise<void>;

/**
 * The contract's transport picks the sender; the routing guide picked the transport.
 *
 * Each transport's sender, with its SDK client, is loaded on the first publish over it: a handler that publishes
 * only to the bus never loads the Kinesis client (with code splitting, never even bundles it in its entry chunk).
 */
const senders: Record<Transport, () => Promise<Sender>> = {
  eventbridge: async () => (await import("./toEventBridge.js")).toEventBridge,
  sns: async () => (await import("./toSns.js")).toSns,
  sqs: async () => (await import("./toSqs.js")).toSqs,
  kinesis: async () => (await import("./toKinesis.js")).toKinesis,
};

/**
 * Publishes one event. The payload must be the contract's schema input (a compile error otherwise) and is
 * validated before anything leaves; the envelope gets a new id, the time, the producer, the correlation id of
 * the current invocation and the current trace header.
 *
 * @throws {PublishValidationError} the payload does not match the contract (nothing was sent).
 * @throws {PublishError} the transport refused the event after the retries.
 * @returns the event id.
 *
 * @example
 * ```ts
 * const eventId = await publish(PostCreated, { postId, threadId, forumId, authorId, createdAt });
 * ```
 */
export async function publish<C extends EventContract>(
  contract: C,
  payload: NoInfer<PayloadInput<C>>,
  options: PublishOptions = {},
): Promise<string> {
  const [eventId] = await publishBatch(contract, [payload], options);
  return eventId!;
}

/**
 * Publishes several events of one contract in as few requests as the transport's limits allow, re-sending
 * only the entries that failed. Every payload is validated first: one invalid payload refuses the batch.
 *
 * @throws {PublishValidationError} a payload does not match the contract (nothing was sent).
 * @throws {PublishError} some events were refused after the retries; `published` lists those that got out.
 * @returns the event ids, in the order of `payloads`.
 *
 * @example
 * ```ts
 * const ids = await publishBatch(ProductViewed, views, { correlationId });
 * ```
 */
export async function publishBatch<C extends EventContract>(
  contract: C,
  payloads: readonly NoInfer<PayloadInput<C>>[],
  options: PublishOptions = {},
): Promise<string[]> {
  if (payloads.length === 0) return [];
  const send = await senders[contract.transport]();
  // The events' trace header is taken inside the publish's own subsegment, so their consumers hang under it.
  return inSubsegment(`publish ${contract.type}`, async () => {
    const events = outgoingEvents(contract, payloads, options);
    await send(contract, events, options);
    return events.map((event) => event.envelope.id);
  });
}

/**
 * Sends an event whose envelope was finished earlier (the outbox wrote it in the transaction that caused it): the
 * id, time, correlation id and payload leave exactly as written, so a redelivery is the same event again and
 * consumers drop it by id. The trace goes on from the request that wrote it: when this runs in that request's trace
 * (the outbox publisher opens a segment of it for each record), the consumer hangs under this publish; otherwise the
 * envelope keeps the request's header and the consumer continues the request's trace directly.
 *
 * @throws {PublishError} the transport refused the event after the retries.
 *
 * @example
 * ```ts
 * await publishEnvelope(UserRegistered, envelope); // from the outbox publisher
 * ```
 */
export async function publishEnvelope(
  contract: EventContract,
  envelope: Envelope,
  options: PublishOptions = {},
): Promise<void> {
  if (envelope.type !== contract.type) throw new Error(`${envelope.type} is not a ${contract.type}`);
  const send = await senders[contract.transport]();
  await inSubsegment(`publish ${contract.type}`, async () => {
    const here = currentTraceHeader();
    const sameTrace = parseTraceHeader(here)?.root === parseTraceHeader(envelope.traceHeader)?.root;
    const traceHeader = here && sameTrace ? here : envelope.traceHeader;
    const outgoing: Envelope = { ...envelope, ...(traceHeader ? { traceHeader } : {}) };
    const data = outgoing.data;
    const payload = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
    await send(contract, [{ envelope: outgoing, body: JSON.stringify(outgoing), payload }], options);
  });
}
