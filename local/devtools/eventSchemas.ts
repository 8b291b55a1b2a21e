import type { EventContract } from "../../shared/events/defineEvent.js";
import { eventJsonSchema } from "../../shared/events/jsonSchema.js";

export interface EventSchemasDocument {
  /** Event type (`forums.PostCreated`) → the JSON Schema of its payload, with the contract's facts. */
  readonly events: Readonly<Record<string, Record<string, unknown>>>;
}

/**
 * The JSON Schemas of every event in the catalog, for `/docs/events.json`.
 *
 * @example
 * ```ts
 * eventSchemasDocument(Object.values(catalog)).events["forums.PostCreated"]?.title;
 * ```
 */
export function eventSchemasDocument(contracts: readonly EventContract[]): EventSchemasDocument {
  const events: Record<string, Record<string, unknown>> = {};
  for (const contract of contracts) events[contract.type] = eventJsonSchema(contract);
  return { events };
}
