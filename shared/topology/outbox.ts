import type { EventContract } from "../events/defineEvent.js";

/**
 * The names the outbox writer (`shared/outbox`) and the topology share, so the stream filter selects exactly the
 * items the writer puts. Kept apart from both so the topology stays plain data with no SDK behind it.
 */

/** Every outbox item's partition key starts with this; no entity key of a service may. */
export const OUTBOX_KEY_PREFIX = "OUTBOX#";

/** The one publisher handler every service's outbox runs (it finds each event's contract in the catalog). */
export const OUTBOX_PUBLISHER_HANDLER = "shared/outbox/publisher.handler";

/**
 * Whether an event leaves through its service's outbox. Every event does, except a click-stream (a `massive`
 * throughput need): its records are the facts themselves, written nowhere else, and one outbox item per view would
 * put the stream's rate (120,000 a second at the seed's peak) on a table sized for 400 writes a second. Such an event
 * is put on its stream by the handler, with its id fixed before the put, so a retried put is the same event again.
 */
export function leavesThroughOutbox(contract: Pick<EventContract, "needs">): boolean {
  return contract.needs.throughput !== "massive";
}
