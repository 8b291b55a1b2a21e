import type { EventContract, PayloadInput } from "../events/defineEvent.js";
// The modules themselves, not the publish face: a writer builds envelopes and never sends, so its bundle carries no
// sender (the face's `publish` would bring every transport's client along as lazy chunks).
import { PublishError } from "../publish/errors.js";
import { limits } from "../publish/limits.js";
import { outgoingEvents } from "../publish/outgoingEvents.js";
import type { Transport } from "../routing/index.js";
import type { TableDefinition } from "../topology/defineService.js";
import { OUTBOX_KEY_PREFIX } from "../topology/outbox.js";

/** One event a write causes, to commit with it. */
export interface PendingEvent {
  readonly contract: EventContract;
  readonly payload: unknown;
  /** Events with one order key reach their transport in commit order (see {@link outboxItems}). */
  readonly orderKey?: string;
}

/** The key names and TTL attribute of the table that holds the outbox. */
export type OutboxTable = Pick<TableDefinition, "partitionKey" | "sortKey" | "ttl">;

/** An outbox item as it is stored: the finished envelope as JSON text, so it leaves byte for byte as written. */
export interface OutboxItem {
  readonly eventId: string;
  readonly eventType: string;
  readonly envelope: string;
  readonly [attribute: string]: unknown;
}

/**
 * How long an outbox item stays: the stream keeps its own copy of the insert for 24 h, and that copy is what the
 * publisher reads, so the item is only there to be looked at. The TTL's `REMOVE` is filtered out of the stream.
 */
export const OUTBOX_RETENTION_SECONDS = 24 * 3600;

/**
 * Declares one event of a write. The payload is checked against the contract at compile time and, when the outbox
 * items are built, at run time: an invalid event fails the write, before anything commits.
 *
 * @example
 * ```ts
 * const events = [outboxEvent(UserRegistered, { userId, email, displayName, createdAt }, { orderKey: userId })];
 * ```
 */
export function outboxEvent<C extends EventContract>(
  contract: C,
  payload: NoInfer<PayloadInput<C>>,
  options: { readonly orderKey?: string } = {},
): PendingEvent {
  return { contract, payload, ...(options.orderKey ? { orderKey: options.orderKey } : {}) };
}

/**
 * The outbox items of a write, to put in the same transaction as the entity: each holds the finished envelope
 * (event id, type, version, time, payload, correlation id and the request's trace header, all fixed now).
 *
 * **Order per key.** DynamoDB keeps the items of one partition key in one partition, and a partition's changes
 * reach its stream shard in the order they committed; the publisher reads a shard in order and sends one record at
 * a time, and Lambda finishes a parent shard before its children after a split. So every event of one order key
 * shares the partition key `OUTBOX#<orderKey>` (its sort key is `<time>#<eventId>`, unique), and the events of one
 * thread, say, reach Kinesis in commit order. The order key is the contract's partition key field (what its
 * transport orders by) unless the writer names one; an event no transport orders gets its own id, which spreads
 * outbox writes over every partition instead of heating one.
 *
 * @throws {PublishValidationError} a payload does not match its contract.
 * @throws {PublishError} an event is larger than its transport takes (`EntryTooLarge`): refused now, with the write,
 * rather than committed and then stuck.
 *
 * @example
 * ```ts
 * const { items, eventIds } = outboxItems(usersTable, [outboxEvent(UserProfileUpdated, change)]);
 * ```
 */
export function outboxItems(
  table: OutboxTable,
  events: readonly PendingEvent[],
  options: { readonly correlationId?: string; readonly nowMs?: number } = {},
): { items: OutboxItem[]; eventIds: string[] } {
  if (!table.sortKey) throw new Error("an outbox table needs a sort key (the outbox orders items by it)");
  if (!table.ttl) throw new Error("an outbox table needs a TTL attribute (outbox items expire)");
  const expiresAt = Math.floor((options.nowMs ?? Date.now()) / 1000) + OUTBOX_RETENTION_SECONDS;
  const items = events.map((event) => {
    const [outgoing] = outgoingEvents(event.contract, [event.payload], options);
    const { envelope, body, payload } = outgoing!;
    const partitionField = event.contract.partitionKey;
    const orderKey = event.orderKey ?? (partitionField ? String(payload[partitionField]) : envelope.id);
    refuseOversized(event.contract.transport, envelope.id, envelope.type, body);
    const item: OutboxItem = {
      [table.partitionKey]: `${OUTBOX_KEY_PREFIX}${orderKey}`,
      [table.sortKey as string]: `${envelope.time}#${envelope.id}`,
      eventId: envelope.id,
      eventType: envelope.type,
      envelope: body,
      [table.ttl as string]: expiresAt,
    };
    return item;
  });
  return { items, eventIds: items.map((item) => item.eventId) };
}

const maxEntryBytes: Record<Transport, number> = {
  eventbridge: limits.eventBridge.maxEntryBytes,
  sns: limits.sns.maxEntryBytes,
  sqs: limits.sqs.maxEntryBytes,
  kinesis: limits.kinesis.maxEntryBytes,
};

/**
 * The envelope alone is a lower bound of what its transport counts (attributes and the partition key come on top),
 * so what fails here would fail there; the few bytes above it are left to the publisher, which sends such an event
 * to its DLQ with the reason.
 */
function refuseOversized(transport: Transport, eventId: string, type: string, body: string): void {
  const size = Buffer.byteLength(body, "utf8");
  const max = maxEntryBytes[transport];
  if (size <= max) return;
  throw new PublishError(
    [{ eventId, type, code: "EntryTooLarge", message: `${size} bytes, more than the ${max} ${transport} takes` }],
    [],
  );
}
