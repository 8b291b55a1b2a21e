/**
 * The transactional outbox: a write and the events it causes commit together (`outboxItems` beside the entity in
 * one transaction); the table's stream feeds the service's publisher (`publisher.ts`), which sends each event on
 * its transport. A crash between the commit and the publish loses nothing: the stream still holds the insert.
 *
 * @example
 * ```ts
 * const { items } = outboxItems(table, [outboxEvent(UserRegistered, payload)]);
 * ```
 */
export type { OutboxItem, OutboxTable, PendingEvent } from "./outboxItems.js";
export { OUTBOX_RETENTION_SECONDS, outboxEvent, outboxItems } from "./outboxItems.js";
export { writeWithEvents } from "./writeWithEvents.js";
