import type { Table, TransactItem, TransactOutcome } from "../data/index.js";
import { inSubsegment } from "../tracing/index.js";
import { outboxItems, type PendingEvent } from "./outboxItems.js";

/**
 * Commits a write and the events it causes in one DynamoDB transaction: `items` on the service's table, then one
 * outbox item per event. Either all of it is written or none of it; the table's stream then hands the events to the
 * publisher. A failed condition is an answer, as in {@link Table.transact} (indexes of `items`); the event ids are
 * those the consumers will see, fixed now.
 *
 * @throws {PublishValidationError} an event's payload does not match its contract (nothing was written).
 *
 * @example
 * ```ts
 * const outcome = await writeWithEvents(users, [{ put: { item: profile, condition: absent } }], [
 *   outboxEvent(UserRegistered, { userId, email, displayName, createdAt }, { orderKey: userId }),
 * ]);
 * if (!outcome.committed) throw conflict("this email is already registered");
 * ```
 */
export async function writeWithEvents<Item extends object>(
  table: Table<Item>,
  items: readonly TransactItem<Item>[],
  events: readonly PendingEvent[],
  options: { readonly correlationId?: string; readonly nowMs?: number } = {},
): Promise<TransactOutcome & { readonly eventIds: readonly string[] }> {
  // The write runs in a subsegment of its own whose only AWS call is the transaction, and the envelopes' trace header
  // names it: the publisher, and through it every consumer, hangs under this write (caller → table → publisher on
  // the service map), as a consumer hangs under its publish.
  return inSubsegment(`outbox ${table.resourceName}`, () => commit(table, items, events, options));
}

async function commit<Item extends object>(
  table: Table<Item>,
  items: readonly TransactItem<Item>[],
  events: readonly PendingEvent[],
  options: { readonly correlationId?: string; readonly nowMs?: number },
): Promise<TransactOutcome & { readonly eventIds: readonly string[] }> {
  const outbox = outboxItems(table.definition, events, options);
  const name = table.name;
  const pk = table.definition.partitionKey;
  // A new item every time (its sort key holds the event id): the condition only guards against a key clash.
  const extra = outbox.items.map((item) => ({
    Put: {
      TableName: name,
      Item: item,
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": pk },
    },
  }));
  const outcome = await table.transact(items, { extra });
  return { ...outcome, eventIds: outbox.eventIds };
}
