/**
 * The names the outbox writer (`shared/outbox`) and the topology share, so the stream filter selects exactly the
 * items the writer puts. Kept apart from both so the topology stays plain data with no SDK behind it.
 */

/** Every outbox item's partition key starts with this; no entity key of a service may. */
export const OUTBOX_KEY_PREFIX = "OUTBOX#";

/** The one publisher handler every service's outbox runs (it finds each event's contract in the catalog). */
export const OUTBOX_PUBLISHER_HANDLER = "shared/outbox/publisher.handler";
