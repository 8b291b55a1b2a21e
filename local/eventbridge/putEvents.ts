import { randomUUID } from "node:crypto";
import { EventBridgeError } from "./EventBridgeError.js";
import type { EventBusStore } from "./EventBusStore.js";
import { matchesPattern } from "./matchPattern.js";
import type { TargetDelivery } from "./TargetDelivery.js";

/** A PutEvents entry as it arrives over the wire (`Time` is epoch seconds). */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: number | string;
  EventBusName?: string;
  TraceHeader?: string;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** PutEvents takes at most 10 entries per request. */
const MAX_ENTRIES = 10;
/** An entry may be at most 256 KB. */
const MAX_ENTRY_BYTES = 256 * 1024;

const bytes = (text: string | undefined): number => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));

/** The entry size as "Calculating PutEvents event entry size" defines it: Time counts 14 bytes, strings their UTF-8. */
export function entrySize(entry: PutEventsEntry): number {
  const resources = (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0);
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources
  );
}

/** Event timestamps are ISO 8601 to the second, like `2017-12-22T18:43:48Z`. */
function eventTime(time: number | string | undefined): string {
  const date = time === undefined ? new Date() : new Date(typeof time === "number" ? time * 1000 : time);
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function entryProblem(entry: PutEventsEntry, store: EventBusStore): EntryResult | undefined {
  const invalid = (parameter: string, reason: string) => ({
    ErrorCode: "InvalidArgument",
    ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
  });
  if (!entry.Source) return invalid("Source", "Source is a required argument.");
  if (!entry.DetailType) return invalid("DetailType", "DetailType is a required argument.");
  if (entry.Detail === undefined) return invalid("Detail", "Detail is a required argument.");
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    return invalid("Detail", "Detail is malformed.");
  }
  if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
    return invalid("Detail", "Detail must be a JSON object.");
  }
  if (entrySize(entry) > MAX_ENTRY_BYTES) {
    return { ErrorCode: "InvalidArgument", ErrorMessage: "Event entry size exceeds the limit of 256 KB." };
  }
  if (!store.hasBus(entry.EventBusName)) {
    return { ErrorCode: "NotFoundException", ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
  }
  return undefined;
}

/**
 * Accepts a PutEvents request: each entry becomes an event with a fresh id, is matched against the enabled rules of
 * its bus, and is handed to the targets of each matching rule. Bad entries fail alone.
 *
 * @example
 * ```ts
 * putEvents(store, delivery, { Entries: [{ Source: "shop", DetailType: "OrderPlaced", Detail: "{}" }] });
 * ```
 */
export function putEvents(store: EventBusStore, delivery: TargetDelivery, input: { Entries?: PutEventsEntry[] }) {
  const entries = input.Entries ?? [];
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    throw new EventBridgeError(
      "ValidationException",
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES} and greater than or equal to 1`,
    );
  }
  const results = entries.map((entry): EntryResult => {
    const problem = entryProblem(entry, store);
    if (problem) return problem;
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: store.accountId,
      time: eventTime(entry.Time),
      region: store.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail!) as Record<string, unknown>,
    };
    route(store, delivery, event, entry.EventBusName, entry.TraceHeader);
    return { EventId: event.id };
  });
  const failed = results.filter((result) => "ErrorCode" in result).length;
  return { FailedEntryCount: failed, Entries: results };
}

function route(
  store: EventBusStore,
  delivery: TargetDelivery,
  event: Record<string, unknown>,
  busName: string | undefined,
  traceHeader: string | undefined,
): void {
  const receivedAt = Date.now();
  for (const rule of store.rulesOf(busName).values()) {
    if (rule.state !== "ENABLED" || !rule.eventPattern || !matchesPattern(rule.eventPattern, event)) continue;
    for (const target of rule.targets.values()) {
      delivery.dispatch({
        event,
        target,
        traceHeader,
        receivedAt,
        ruleArn: rule.arn,
        ruleName: rule.name,
        ingestionTime: new Date(receivedAt).toISOString(),
      });
    }
  }
}
